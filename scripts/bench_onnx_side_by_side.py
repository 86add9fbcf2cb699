#!/usr/bin/env python3
"""Side by side, one run: each ONNX-sourced zoo model's forward pass in VisionZoo (`vz bench model --json`, a child
process) and in onnxruntime (this process), 2 threads each, the same synthetic input (the formula of
`DarknetBenchInput.synthetic` × 255, i.e. 0–255 pixels), ORT_ENABLE_ALL, alternating rounds; prints the median of
each engine and the ratio vz / onnxruntime.

Detectors and the module-built face detectors (yunet, scrfd-500m, retinaface-mnet025) time the network's forward
pass on a tensor of the card's size; the SFace embedder its forward pass on one 112×112 chip (RGB 0–255, the graph
normalises). MobileFaceNet (MXNet) and MTCNN/dlib (not ONNX) have no onnxruntime counterpart here.

Usage: VZ_WEIGHTS_PATH=../shared/data/weights:weights python scripts/bench_onnx_side_by_side.py [--rounds 5] [--runs 20] [MODEL…]
Needs onnxruntime + onnx + numpy (../shared/tools/ref-env.sh); SFace needs `vz weights pull sface` (weights/sface).
Dev-time only.
"""
import argparse, json, os, statistics, subprocess, time
import numpy as np
import onnx
import onnxruntime as ort

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "../../shared/data/weights")
# zoo name: (onnx file under ../shared/data/weights, or under the checkout's weights/ when it starts with "weights/";
# input size H, W; pixel scale of the input: 1 for 0–1 (FastestDet takes x / 255), 255 for 0–255)
MODELS = {
    "yolox-nano": ("yolox-nano/yolox_nano.onnx", (416, 416), 255.0),
    "fastestdet": ("fastestdet/FastestDet.onnx", (352, 352), 1.0),
    "nanodet-m": ("nanodet-m/nanodet_m.onnx", (416, 416), 255.0),
    "yunet": ("yunet/yunet_n_320_320.onnx", (320, 320), 255.0),
    "scrfd-500m": ("scrfd/scrfd_500m_bnkps.onnx", (640, 640), 255.0),
    "retinaface-mnet025": ("retinaface/retinaface_mbnet0.25.onnx", (640, 640), 255.0),
    "sface": ("weights/sface/face_recognition_sface_2021dec_int8bq.onnx", (112, 112), 255.0),
}


def synthetic(h, w):
    y, x = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    out = np.empty((1, 3, h, w), dtype=np.float32)
    for c in range(3):
        k = (37 * x + 91 * y + 53 * c + (x * y) % 97 + 29 * ((x >> 3) ^ (y >> 3))) % 256
        out[0, c] = k.astype(np.float32) / 255
    return out


def ort_times(sess, x, runs):
    name = sess.get_inputs()[0].name
    times = []
    for _ in range(runs):
        t0 = time.perf_counter(); sess.run(None, {name: x}); times.append((time.perf_counter() - t0) * 1e3)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--vz", default=os.path.join(HERE, "../.build/release/vz"))
    ap.add_argument("models", nargs="*", default=list(MODELS))
    a = ap.parse_args()
    print(f"onnxruntime {ort.__version__}, 2 threads, ORT_ENABLE_ALL; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
    print("| model | size | vz median ms | onnxruntime median ms | ratio vz/ort |")
    print("|---|---:|---:|---:|---:|")
    for m in a.models:
        rel, (h, w), scale = MODELS[m]
        so = ort.SessionOptions(); so.intra_op_num_threads = 2; so.inter_op_num_threads = 1
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        path = os.path.join(HERE, "..", rel) if rel.startswith("weights/") else os.path.join(DATA, rel)
        graph = onnx.load(path)
        # SFace as shipped lists its initializers (and stale names) as graph inputs, which onnxruntime rejects;
        # keep the real input only (as scripts/make_sface_fixture.py does). A no-op for the other graphs.
        inits = {t.name for t in graph.graph.initializer}
        real = [i for i in graph.graph.input if i.name == "data"] if m == "sface" else \
            [i for i in graph.graph.input if i.name not in inits]
        del graph.graph.input[:]
        graph.graph.input.extend(real)
        sess = ort.InferenceSession(graph.SerializeToString(), so, providers=["CPUExecutionProvider"])
        # what `vz bench` feeds (BenchModelCommand): pixels in the card's value range (0–1 for FastestDet, 0–255 else)
        x = synthetic(h, w) * scale
        ort_times(sess, x, 3)
        ours, theirs = [], []
        for _ in range(a.rounds):
            out = subprocess.run([a.vz, "bench", "model", "--model", m, "--threads", "2", "--runs", str(a.runs), "--json"],
                                 check=True, capture_output=True, text=True).stdout
            ours.append(json.loads(out.strip().splitlines()[-1])["median_ms"])
            theirs.append(statistics.median(ort_times(sess, x, a.runs)))
        o, t = statistics.median(ours), statistics.median(theirs)
        print(f"| {m} | {h}x{w} | {o:.2f} | {t:.2f} | {o / t:.2f} |")


if __name__ == "__main__":
    main()
