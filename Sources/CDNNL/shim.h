#include <oneapi/dnnl/dnnl.h>
/* Debian's oneDNN threads with OpenMP (libgomp; DNNL_CPU_RUNTIME == DNNL_RUNTIME_OMP): the team size of the
   parallel regions a thread starts is that thread's OpenMP setting, so ZooTensor sets it from `Threads.count`. */
void omp_set_num_threads(int num_threads);
int omp_get_max_threads(void);
