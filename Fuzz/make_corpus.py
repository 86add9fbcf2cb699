#!/usr/bin/env python3
"""Writes the tiny seed corpora under Fuzz/corpus/<target>/ (Python standard library only).

Usage: python3 Fuzz/make_corpus.py   (from the repository root; overwrites the seeds it writes)
"""
import collections, io, os, pickle, struct, sys, types, zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


# Targets whose seeds are model files or binary bodies: never committed, written by scripts/fuzz.sh at fuzz time
# (`python3 Fuzz/make_corpus.py --target T --out DIR`), like Fuzz/make_weight_seeds.py's.
GENERATED = {"onnx": lambda: onnx(), "pickle": lambda: pickles(), "multipart": lambda: multiparts()}
OUT = None   # --out: write one target's seeds straight into this folder


def put(target, name, data):
    if target in GENERATED and OUT is None:
        return   # generated at fuzz time only
    d = OUT if OUT is not None else os.path.join(ROOT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def png(width, height, color_type, depth, rows, interlace=0, extra=()):
    """A PNG from raw filtered-less scanlines (`rows`: bytes per row, filter byte 0 is prepended)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    ihdr = struct.pack(">IIBBBBB", width, height, depth, color_type, 0, 0, interlace)
    raw = b"".join(b"\0" + r for r in rows)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + b"".join(chunk(k, v) for k, v in extra)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


# The JPEG encoder is not available without ImageMagick/PIL, so the JPEG seeds are the smallest of the
# repository's own decoder fixtures (Tests/Fixtures/image/corpus, 8-16 px, each a different JPEG mode).
JPEG_FIXTURES = ["jpeg_gray_progressive.jpg", "jpeg_gray.jpg", "jpeg_progressive.jpg", "jpeg_baseline_420.jpg",
                 "jpeg_orient_6.jpg"]


def images():
    here = os.path.dirname(os.path.abspath(__file__))
    fixtures = os.path.join(here, "..", "Tests", "Fixtures", "image", "corpus")
    jpegs = {n: open(os.path.join(fixtures, n), "rb").read() for n in JPEG_FIXTURES}
    rgb = [bytes(sum(([x * 32, y * 32, 128] for x in range(8)), [])) for y in range(8)]
    pngs = {
        "rgb8x8.png": png(8, 8, 2, 8, rgb),
        "rgba8x8.png": png(8, 8, 6, 8, [bytes(sum(([x * 32, y * 32, 128, 200] for x in range(8)), [])) for y in range(8)]),
        "palette8x8.png": png(8, 8, 3, 2, [bytes([0b00011011, 0b11100100]) for _ in range(8)],
                              extra=[(b"PLTE", bytes([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9])), (b"tRNS", b"\x80")]),
        "gray16.png": png(8, 8, 0, 16, [struct.pack(">8H", *[(x + y) * 4000 for x in range(8)]) for y in range(8)]),
        "gray8x8.png": png(8, 8, 0, 8, [bytes(range(y * 8, y * 8 + 8)) for y in range(8)]),
    }
    for target, files in (("jpeg", jpegs), ("png", pngs)):
        for name, data in files.items():
            put(target, name, data)
            put("image", name, data)


CFG = """[net]
width=32
height=32
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
filters=18
size=1
stride=1
activation=linear

[yolo]
mask=0,1,2
anchors=4,6, 8,10, 12,14
classes=1
num=3
"""

CFG_ROUTE = CFG + """
[route]
layers=-3

[upsample]
stride=2

[shortcut]
from=-6
activation=linear
"""


def cfgs():
    put("darknet-cfg", "three-layer.cfg", CFG)
    put("darknet-cfg", "route-upsample.cfg", CFG_ROUTE)


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(num, value):
    """A protobuf field: int → varint, bytes/str → length-delimited."""
    if isinstance(value, int):
        return varint(num << 3) + varint(value)
    value = value.encode() if isinstance(value, str) else value
    return varint(num << 3 | 2) + varint(len(value)) + value


def onnx():
    tensor = field(1, 2) + field(1, 2) + field(2, 1) + field(8, "w") + field(9, struct.pack("<4f", 1, -2, 3, -4))
    attr = field(1, "alpha") + varint(2 << 3 | 5) + struct.pack("<f", 0.5) + field(20, 1)
    relu = field(1, "x") + field(2, "r") + field(3, "relu0") + field(4, "Relu")
    add = field(1, "r") + field(1, "w") + field(2, "y") + field(4, "Add")
    leaky = field(1, "y") + field(2, "z") + field(4, "LeakyRelu") + field(5, attr)
    dims = field(1, field(1, 2)) + field(1, field(1, 2))
    vtype = field(1, field(1, 1) + field(2, dims))
    graph = (field(1, relu) + field(1, add) + field(1, leaky) + field(2, "g") + field(5, tensor)
             + field(11, field(1, "x") + field(2, vtype)) + field(12, field(1, "z") + field(2, vtype)))
    model = field(1, 7) + field(2, "make_corpus") + field(7, graph) + field(8, field(2, 13))
    put("onnx", "relu-add-leaky.onnx", model)
    put("onnx", "empty-graph.onnx", field(1, 7) + field(7, field(2, "g")) + field(8, field(2, 13)))


def torch_legacy(state):
    """A legacy (pre-zip) torch.save stream of `state` (a dict name → (shape, floats)), without torch."""
    torch = types.ModuleType("torch"); utils = types.ModuleType("torch._utils")
    sys.modules["torch"], sys.modules["torch._utils"] = torch, utils

    class FloatStorage: pass
    FloatStorage.__module__, FloatStorage.__qualname__ = "torch", "FloatStorage"; torch.FloatStorage = FloatStorage

    def _rebuild_tensor_v2(*a): pass
    _rebuild_tensor_v2.__module__, _rebuild_tensor_v2.__qualname__ = "torch._utils", "_rebuild_tensor_v2"
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2

    class Storage:
        def __init__(self, key, n): self.key, self.n = key, n

    class Tensor:
        def __init__(self, storage, shape):
            self.storage, self.shape = storage, shape
        def __reduce__(self):
            stride, s = [], 1
            for d in reversed(self.shape):
                stride.insert(0, s); s *= d
            return (_rebuild_tensor_v2, (self.storage, 0, tuple(self.shape), tuple(stride), False, collections.OrderedDict()))

    class P(pickle.Pickler):
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                return ("storage", FloatStorage, obj.key, "cpu", obj.n)
            return None

    out, raw, keys, sd = io.BytesIO(), b"", [], collections.OrderedDict()
    for i, (name, (shape, values)) in enumerate(state.items()):
        keys.append(str(i))
        sd[name] = Tensor(Storage(str(i), len(values)), shape)
        raw += struct.pack("<q", len(values)) + struct.pack(f"<{len(values)}f", *values)
    for obj in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True,
                "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(obj, out, protocol=2)
    P(out, protocol=2).dump(sd)
    pickle.dump(keys, out, protocol=2)
    del sys.modules["torch"], sys.modules["torch._utils"]
    return out.getvalue() + raw


def pickles():
    put("pickle", "two-tensors.pt", torch_legacy({"conv.weight": ([2, 1, 1, 1], [1, 2]), "conv.bias": ([2], [0.5, -0.5])}))
    put("pickle", "nested.pt", torch_legacy({"a.b.c": ([1], [3.0])}))


COCO_GT = """{"images": [{"id": 1, "file_name": "a.jpg", "width": 8, "height": 8}],
 "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 4, 4], "area": 16, "iscrowd": 0},
                 {"id": 2, "image_id": 1, "category_id": 2, "bbox": [0, 0, 8, 8], "area": 64, "iscrowd": 1,
                  "segmentation": {"counts": [0, 64], "size": [8, 8]}}],
 "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}
"""
COCO_RESULTS = """[{"image_id": 1, "category_id": 1, "bbox": [1.5, 1, 4, 4.25], "score": 0.9},
 {"image_id": 1, "category_id": 2, "bbox": [0, 0, 2, 2], "score": 0.1}]
"""
VOC = """<annotation>
  <filename>a.jpg</filename>
  <size><width>8</width><height>8</height><depth>3</depth></size>
  <object><name>cat</name><difficult>0</difficult><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object>
  <object><name>dog</name><difficult>1</difficult><bndbox><xmin>0</xmin><ymin>2</ymin><xmax>8</xmax><ymax>7</ymax></bndbox></object>
</annotation>
"""


def evals():
    put("coco-json", "instances.json", COCO_GT)
    put("coco-json", "results.json", COCO_RESULTS)
    put("voc-xml", "two-objects.xml", VOC)
    put("voc-xml", "empty.xml", "<annotation><filename>b.jpg</filename><size><width>4</width><height>4</height></size></annotation>\n")


def multiparts():
    """multipart/form-data bodies with the boundary the `multipart` target uses (`vzfuzz`)."""
    def body(parts, epilogue="--vzfuzz--\r\n"):
        out = b""
        for headers, data in parts:
            out += b"--vzfuzz\r\n" + "".join(h + "\r\n" for h in headers).encode() + b"\r\n" + data + b"\r\n"
        return out + epilogue.encode()
    put("multipart", "image-and-fields.bin", body([
        (['Content-Disposition: form-data; name="image"; filename="a.jpg"', "Content-Type: image/jpeg"], b"\xff\xd8\xff\xe0" + bytes(32)),
        (['Content-Disposition: form-data; name="min_confidence"'], b"0.4"),
        (['Content-Disposition: form-data; name="conf"'], b"0.25")]))
    put("multipart", "two-images.bin", body([
        (['Content-Disposition: form-data; name="image1"; filename="x.png"', "Content-Type: image/png"], b"\x89PNG\r\n\x1a\n" + bytes(16)),
        (['Content-Disposition: form-data; name="image2"; filename="y.png"'], b"--vzfuz not a boundary\r\n--")]))
    put("multipart", "preamble-and-many.bin", "preamble\r\n" + body(
        [(['Content-Disposition: form-data; name="f%d"' % i], b"v") for i in range(70)]).decode())
    put("multipart", "unterminated.bin", b"--vzfuzz\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nabc")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--target" and sys.argv[3] == "--out":
        OUT = sys.argv[4]
        GENERATED[sys.argv[2]]()
        sys.exit(0)
    images(); cfgs(); evals()
    for t in sorted(os.listdir(ROOT)):
        files = os.listdir(os.path.join(ROOT, t))
        print(f"{t}: {len(files)} files, {sum(os.path.getsize(os.path.join(ROOT, t, f)) for f in files)} bytes")
