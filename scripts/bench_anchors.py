#!/usr/bin/env python3
"""Side by side, one run, alternating rounds: the forward pass of zoo models in VisionZoo (`vz bench model --json`,
fp32 and bf16, child processes) and in onnxruntime (fp32), OpenVINO (fp32 and its default, which is bf16 on CPUs
with AVX512_BF16) and OpenCV DNN, 2 threads each, the same synthetic input (`DarknetBenchInput.synthetic`, in the
model's pixel range). Prints the median (of the per-round medians) and best run of every engine, and the ratios
the performance issue tracks. Darknet models run in ort/OpenVINO through an ONNX export of the same weights
(scripts/export_darknet_onnx.py, verified against OpenCV DNN's darknet importer) and in OpenCV through its own
darknet importer.

Usage: VZ_WEIGHTS_PATH=/work/main/weights:/work/shared/data/weights \\
         ~/.cache/vz-ref-venv/bin/python scripts/bench_anchors.py [--rounds 5] [--runs 20] [MODEL…]
Needs onnxruntime, openvino, opencv-python, onnx, numpy (the reference venv + `pip install openvino`). Dev-only.
`--unset-openblas-env` drops OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE from this process (and so from the vz children)
and says so.
"""
import argparse, json, os, statistics, subprocess, sys, time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from export_darknet_onnx import export, synthetic  # noqa: E402

SHARED = os.environ.get("VZ_SHARED_WEIGHTS", "/work/shared/data/weights")
# zoo name: (kind, path(s), input size, pixel scale of the model's input: 1 → 0–1, 255 → 0–255)
MODELS = {
    "yolov3-tiny": ("darknet", "yolov3-tiny", 416, 1.0),
    "yolox-nano": ("onnx", "yolox-nano/yolox_nano.onnx", 416, 255.0),
    "nanodet-m": ("onnx", "nanodet-m/nanodet_m.onnx", 416, 255.0),
    "fastestdet": ("onnx", "fastestdet/FastestDet.onnx", 352, 1.0),
}


def find_darknet(name):
    for root in os.environ.get("VZ_WEIGHTS_PATH", "").split(":") + [os.path.join(HERE, "../weights")]:
        d = os.path.join(root, name)
        if os.path.exists(os.path.join(d, f"{name}.cfg")):
            return os.path.join(d, f"{name}.cfg"), os.path.join(d, f"{name}.weights")
    sys.exit(f"{name}: cfg/weights not found under VZ_WEIGHTS_PATH")


def timed(fn, runs):
    out = []
    for _ in range(runs):
        t0 = time.perf_counter(); fn(); out.append((time.perf_counter() - t0) * 1e3)
    return out


def engines(model, a):
    """name → callable running one forward pass (besides vz, which runs in child processes)."""
    import cv2
    import onnx
    import onnxruntime as ort
    import openvino as ov
    kind, rel, size, scale = MODELS[model]
    x = synthetic(size) * scale
    if kind == "darknet":
        cfg, weights = find_darknet(rel)
        cache = os.path.expanduser("~/.cache/vz-bench-onnx")
        os.makedirs(cache, exist_ok=True)
        path = os.path.join(cache, f"{rel}-{size}.onnx")
        if not os.path.exists(path):
            m, _ = export(cfg, weights, size)
            onnx.save(m, path)
        cvnet = cv2.dnn.readNetFromDarknet(cfg, weights)
    else:
        path = os.path.join(SHARED, rel)
        cvnet = cv2.dnn.readNetFromONNX(path)
    so = ort.SessionOptions(); so.intra_op_num_threads = 2; so.inter_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL; so.log_severity_level = 3
    sess = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: x}
    core = ov.Core()
    ovm = core.read_model(path)
    ov_cfg = {"INFERENCE_NUM_THREADS": 2, "PERFORMANCE_HINT": "LATENCY", "NUM_STREAMS": 1}
    ov_default = core.compile_model(ovm, "CPU", ov_cfg)
    ov_f32 = core.compile_model(ovm, "CPU", {**ov_cfg, "INFERENCE_PRECISION_HINT": "f32"})
    default_precision = str(ov_default.get_property("INFERENCE_PRECISION_HINT"))
    req_d, req_f = ov_default.create_infer_request(), ov_f32.create_infer_request()
    cv2.setNumThreads(2)
    cvnet.setPreferableBackend(cv2.dnn.DNN_BACKEND_OPENCV); cvnet.setPreferableTarget(cv2.dnn.DNN_TARGET_CPU)
    out_names = cvnet.getUnconnectedOutLayersNames()

    def cv_run():
        cvnet.setInput(x); cvnet.forward(out_names)
    return {
        "onnxruntime fp32": lambda: sess.run(None, feed),
        "OpenVINO fp32": lambda: req_f.infer({0: x}),
        f"OpenVINO default ({default_precision})": lambda: req_d.infer({0: x}),
        "OpenCV DNN": cv_run,
    }, size


def vz_median(a, model, precision):
    cmd = [a.vz, "bench", "model", "--model", model, "--threads", "2", "--runs", str(a.runs), "--precision", precision, "--json"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    d = json.loads(out.strip().splitlines()[-1])
    return d["median_ms"], d["min_ms"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--vz", default=os.path.join(HERE, "../.build/release/vz"))
    ap.add_argument("--unset-openblas-env", action="store_true")
    ap.add_argument("models", nargs="*", default=list(MODELS))
    a = ap.parse_args()
    if a.unset_openblas_env:
        for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
            if os.environ.pop(k, None) is not None:
                print(f"(unset {k} for this benchmark process and its vz children)")
    import cv2, onnxruntime, openvino
    print(f"vz {a.vz}; onnxruntime {onnxruntime.__version__}; OpenVINO {openvino.__version__}; OpenCV {cv2.__version__}; "
          f"2 threads each; {a.rounds} alternating rounds x {a.runs} runs; "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}; date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    results = {}
    for m in a.models:
        fns, size = engines(m, a)
        for fn in fns.values():
            timed(fn, 3)  # warm-up
        med = {k: [] for k in ["vz fp32", "vz bf16", *fns]}
        best = {k: float("inf") for k in med}
        for _ in range(a.rounds):
            for p in ("fp32", "bf16"):
                md, mn = vz_median(a, m, p)
                med[f"vz {p}"].append(md); best[f"vz {p}"] = min(best[f"vz {p}"], mn)
            for k, fn in fns.items():
                t = timed(fn, a.runs)
                med[k].append(statistics.median(t)); best[k] = min(best[k], min(t))
        results[m] = {k: (statistics.median(v), best[k]) for k, v in med.items()}
        print(f"\n### {m} @{size}")
        print("| engine | median ms | best ms | median/best |")
        print("|---|---:|---:|---:|")
        for k, (md, b) in results[m].items():
            print(f"| {k} | {md:.2f} | {b:.2f} | {md / b:.2f} |")
    for j, what in ((0, "medians"), (1, "best runs")):
        print(f"\n### ratios ({what}; < 1 means vz is faster)")
        print("| model | vz fp32 / ort fp32 | vz fp32 / OpenCV | vz fp32 / OpenVINO fp32 | vz bf16 / OpenVINO default | vz bf16 / vz fp32 |")
        print("|---|---:|---:|---:|---:|---:|")
        for m, r in results.items():
            ovd = next(v for k, v in r.items() if k.startswith("OpenVINO default"))
            f, b = r["vz fp32"][j], r["vz bf16"][j]
            print(f"| {m} | {f / r['onnxruntime fp32'][j]:.2f} | {f / r['OpenCV DNN'][j]:.2f} | {f / r['OpenVINO fp32'][j]:.2f} "
                  f"| {b / ovd[j]:.2f} | {b / f:.2f} |")


if __name__ == "__main__":
    main()
