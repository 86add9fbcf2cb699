#!/usr/bin/env python3
"""Golden fixtures for ZooEval: randomised COCO ground-truth/detection sets scored by pycocotools, and VOC AP
by a reference implementation of the well-known `voc_eval.py` logic (py-faster-rcnn / Detectron) on the same data.

Made with: Python 3.11, numpy 2.4.6, pycocotools 2.0.11 (the venv /root/.cache/vz-ref-venv).
Run:       /root/.cache/vz-ref-venv/bin/python scripts/make_eval_fixtures.py
Writes:    Tests/Fixtures/eval/random_XX.json (10 sets per file) and Tests/Fixtures/eval/voc100_voc_ap.json.

Each set is stored compactly (rows, not COCO objects) and turned into COCO dicts identically here and in the
Swift test:
  gt rows  [id, image_id, category_id, x, y, w, h, area, iscrowd]
  det rows [image_id, category_id, x, y, w, h, score]
The recorded numbers are pycocotools' 12 `stats` (maxDets as listed) and, per GT category, VOC AP at IoU 0.5
(11-point VOC2007 and all-point VOC2010+; None where the category has no non-difficult GT). COCO crowds count
as VOC `difficult` boxes. One deliberate deviation from voc_eval.py: detections are sorted with a *stable*
sort (`kind='mergesort'`) so that score ties have a defined order (voc_eval.py's default quicksort does not).
"""
import contextlib
import io
import json
import os
import sys
import xml.etree.ElementTree as ET

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "eval")
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "data")
N_SETS = 60
PER_FILE = 10


def r2(v):
    return float(round(v, 2))


def make_set(seed):
    """One randomised GT/detection set exercising a chosen mix of COCOeval's corner cases."""
    rng = np.random.default_rng(seed)
    n_images = int(rng.integers(1, 22))
    image_ids = sorted(set(int(v) for v in rng.choice(10 ** 6, size=n_images, replace=False)))
    if seed % 13 == 5:
        image_ids[0] = 0                                   # image id 0
    rng.shuffle(image_ids)                                 # file order != id order
    n_cats = int(rng.integers(1, 8))
    cat_ids = [int(v) for v in rng.choice(np.arange(1, 300), size=n_cats, replace=False)]
    gt_cats = cat_ids[:]                                   # some may end up with no GT (and some with no dets)
    ties = seed % 3 == 0                                   # scores on a coarse grid: many ties
    crowd_p = [0.0, 0.1, 0.3][seed % 3]
    many = seed % 4 == 1                                   # one image with > 100 detections
    exact_iou = seed % 5 == 2                              # detections with IoU exactly at thresholds
    huge = seed % 7 == 3                                   # boxes with area > 1e10 (outside "all")
    gid_zero = seed % 11 == 4                              # a GT annotation with id 0 (pycocotools quirk)
    max_dets = [1, 10, 100]
    if seed % 20 == 7:
        max_dets = [1, 5, 20]
    elif seed % 20 == 17:
        max_dets = [1, 10, 300]                            # stats[0] is then -1 in pycocotools (maxDets=100 literal)

    def score():
        return float(round(rng.random() * 10) / 10) if ties else float(round(rng.random(), 3))

    def rand_box(W, H):
        kind = rng.random()
        if kind < 0.15:
            w, h = rng.uniform(0.2, 12, size=2)            # tiny
        elif kind < 0.85:
            w, h = np.exp(rng.uniform(np.log(8), np.log(400), size=2))
        else:
            w, h = rng.uniform(300, 3000, size=2)          # large
        if huge and rng.random() < 0.1:
            w, h = 2e5, 1.5e5
        x, y = rng.uniform(-20, W, size=2)
        return [r2(x), r2(y), r2(w), r2(h)]

    gts, dets = [], []
    used_ids = set()

    def new_gid():
        while True:
            g = int(rng.integers(1, 10 ** 7))
            if g not in used_ids:
                used_ids.add(g)
                return g

    images = []
    for img in image_ids:
        W, H = int(rng.integers(100, 1500)), int(rng.integers(100, 1500))
        images.append({"id": img, "width": W, "height": H, "file_name": "img_%d.jpg" % img})
        if rng.random() < 0.15:
            continue                                       # empty image (maybe detections later)
        for _ in range(int(rng.integers(0, 9))):
            cat = gt_cats[int(rng.integers(0, max(1, len(gt_cats) - (1 if len(gt_cats) > 2 else 0))))]
            box = rand_box(W, H)
            crowd = int(rng.random() < crowd_p)
            a = box[2] * box[3]
            mode = rng.random()
            if mode < 0.4:
                area = r2(a * rng.uniform(0.4, 1.0))       # a segment area smaller than the box
            elif mode < 0.5:
                area = float(rng.choice([1024.0, 9216.0, 0.0]))   # exactly on a range boundary
            else:
                area = r2(a)
            gts.append([new_gid(), img, cat, *box, area, crowd])
            # detections around this object: none, one, or duplicates
            for _ in range(int(rng.choice([0, 1, 1, 2, 3]))):
                jit = rng.normal(0, 0.15, size=4)
                x, y, w, h = box
                db = [r2(x + jit[0] * w), r2(y + jit[1] * h), r2(max(0.0, w * (1 + jit[2]))),
                      r2(max(0.0, h * (1 + jit[3])))]
                dets.append([img, cat, *db, score()])
            if exact_iou and rng.random() < 0.5:
                x, y, w, h = box
                for frac in (0.5, 0.75, 0.95):             # same x, y, h; width frac * w: IoU = frac
                    dets.append([img, cat, x, y, r2(w * frac), h, score()])
        for _ in range(int(rng.integers(0, 6))):           # false positives (some on categories without GT)
            cat = cat_ids[int(rng.integers(0, len(cat_ids)))]
            dets.append([img, cat, *rand_box(W, H), score()])
        if rng.random() < 0.1 and dets and dets[-1][0] == img:
            dets.append(list(dets[-1]))                    # exact duplicate
    if many:
        img = image_ids[0]
        W, H = images[0]["width"], images[0]["height"]
        for _ in range(130):
            dets.append([img, gt_cats[0], *rand_box(W, H), score()])
    if gid_zero and gts:
        gts[int(rng.integers(0, len(gts)))][0] = 0
    if not dets:
        dets.append([image_ids[0], cat_ids[0], 1.0, 1.0, 10.0, 10.0, 0.5])
    # a detection category that is not in the GT categories (pycocotools drops it)
    extra_cat = 1000 + seed
    dets.append([image_ids[-1], extra_cat, 5.0, 5.0, 50.0, 50.0, 0.9])
    order = rng.permutation(len(dets))
    dets = [dets[i] for i in order]
    cats = [{"id": c, "name": "class_%d" % c} for c in gt_cats]
    return {"seed": seed, "maxDets": max_dets, "images": images, "categories": cats, "gt": gts, "dets": dets}


def coco_dicts(s):
    gt = {"images": s["images"], "categories": s["categories"],
          "annotations": [{"id": g[0], "image_id": g[1], "category_id": g[2], "bbox": g[3:7], "area": g[7],
                           "iscrowd": g[8]} for g in s["gt"]]}
    dets = [{"image_id": d[0], "category_id": d[1], "bbox": d[2:6], "score": d[6]} for d in s["dets"]]
    return gt, dets


def coco_stats(gt, dets, max_dets):
    with contextlib.redirect_stdout(io.StringIO()):
        c = COCO()
        c.dataset = json.loads(json.dumps(gt))
        c.createIndex()
        d = c.loadRes(json.loads(json.dumps(dets)))
        e = COCOeval(c, d, "bbox")
        e.params.maxDets = list(max_dets)
        e.evaluate()
        e.accumulate()
        e.summarize()
    return [float(v) for v in e.stats]


# ---- VOC reference (voc_eval.py logic) ----

def voc_ap(rec, prec, use_07_metric):
    if use_07_metric:
        ap = 0.0
        for t in np.arange(0.0, 1.1, 0.1):
            p = 0 if np.sum(rec >= t) == 0 else np.max(prec[rec >= t])
            ap = ap + p / 11.0
        return float(ap)
    mrec = np.concatenate(([0.0], rec, [1.0]))
    mpre = np.concatenate(([0.0], prec, [0.0]))
    for i in range(mpre.size - 1, 0, -1):
        mpre[i - 1] = np.maximum(mpre[i - 1], mpre[i])
    i = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[i + 1] - mrec[i]) * mpre[i + 1]))


def voc_eval(gt_objs, det_list, use_07_metric, ovthresh=0.5):
    """gt_objs: {image: [(x1, y1, x2, y2, difficult)]} in file order; det_list: [(image, score, x1, y1, x2, y2)]
    in file order. Returns AP, or None when there is no non-difficult GT."""
    class_recs, npos = {}, 0
    for img, objs in gt_objs.items():
        bbox = np.array([o[:4] for o in objs], dtype=float).reshape(-1, 4)
        difficult = np.array([o[4] for o in objs]).astype(bool)
        npos += int(np.sum(~difficult))
        class_recs[img] = {"bbox": bbox, "difficult": difficult, "det": [False] * len(objs)}
    if npos == 0:
        return None
    if not det_list:
        return 0.0
    image_ids = [d[0] for d in det_list]
    confidence = np.array([d[1] for d in det_list], dtype=float)
    BB = np.array([d[2:] for d in det_list], dtype=float).reshape(-1, 4)
    sorted_ind = np.argsort(-confidence, kind="mergesort")
    BB = BB[sorted_ind, :]
    image_ids = [image_ids[x] for x in sorted_ind]
    nd = len(image_ids)
    tp, fp = np.zeros(nd), np.zeros(nd)
    for d in range(nd):
        R = class_recs.get(image_ids[d], {"bbox": np.zeros((0, 4)), "difficult": np.zeros(0, bool), "det": []})
        bb = BB[d, :].astype(float)
        ovmax = -np.inf
        BBGT = R["bbox"].astype(float)
        if BBGT.size > 0:
            ixmin = np.maximum(BBGT[:, 0], bb[0])
            iymin = np.maximum(BBGT[:, 1], bb[1])
            ixmax = np.minimum(BBGT[:, 2], bb[2])
            iymax = np.minimum(BBGT[:, 3], bb[3])
            iw = np.maximum(ixmax - ixmin + 1.0, 0.0)
            ih = np.maximum(iymax - iymin + 1.0, 0.0)
            inters = iw * ih
            uni = ((bb[2] - bb[0] + 1.0) * (bb[3] - bb[1] + 1.0)
                   + (BBGT[:, 2] - BBGT[:, 0] + 1.0) * (BBGT[:, 3] - BBGT[:, 1] + 1.0) - inters)
            overlaps = inters / uni
            ovmax = np.max(overlaps)
            jmax = np.argmax(overlaps)
        if ovmax > ovthresh:
            if not R["difficult"][jmax]:
                if not R["det"][jmax]:
                    tp[d] = 1.0
                    R["det"][jmax] = 1
                else:
                    fp[d] = 1.0
        else:
            fp[d] = 1.0
    fp = np.cumsum(fp)
    tp = np.cumsum(tp)
    rec = tp / float(npos)
    prec = tp / np.maximum(tp + fp, np.finfo(np.float64).eps)
    return voc_ap(rec, prec, use_07_metric)


def voc_per_class(s):
    out07, out10 = {}, {}
    for c in s["categories"]:
        cid = c["id"]
        gt_objs = {}
        for img in s["images"]:
            gt_objs[img["id"]] = []
        for g in s["gt"]:
            if g[2] == cid:
                x, y, w, h = g[3:7]
                gt_objs[g[1]].append((x, y, x + w, y + h, g[8]))
        dl = [(d[0], d[6], d[2], d[3], d[2] + d[4], d[3] + d[5]) for d in s["dets"] if d[1] == cid]
        out07[str(cid)] = voc_eval(gt_objs, dl, True)
        out10[str(cid)] = voc_eval(gt_objs, dl, False)
    return out07, out10


def voc100_fixture():
    """VOC AP of the sample detections on ../shared/data/voc100 with the Pascal VOC XML ground truth
    (difficult honoured), detections matched by file name and class name."""
    base = os.path.join(SHARED, "voc100")
    if not os.path.isdir(base):
        print("voc100 absent: skipping its fixture", file=sys.stderr)
        return None
    xml_dir = os.path.join(base, "gts", "pascalvoc_format")
    gt = {}
    for f in sorted(os.listdir(xml_dir)):
        root = ET.parse(os.path.join(xml_dir, f)).getroot()
        fn = root.find("filename").text
        for o in root.findall("object"):
            b = o.find("bndbox")
            box = [float(b.find(k).text) for k in ("xmin", "ymin", "xmax", "ymax")]
            gt.setdefault(o.find("name").text, {}).setdefault(fn, []).append((*box, int(o.find("difficult").text)))
    names = [l.strip() for l in open(os.path.join(base, "voc.names")) if l.strip()]
    dets = json.load(open(os.path.join(base, "dets", "coco_format", "coco_dets.json")))
    img_name = {i["id"]: i["file_name"] for i in dets["images"]}
    cat_name = {c["id"]: c["name"] for c in dets["categories"]}
    out = {"voc07": {}, "voc": {}}
    all_images = sorted(os.path.basename(f)[:-4] + ".jpg" for f in os.listdir(xml_dir))
    for name in names:
        gt_objs = {fn: [] for fn in all_images}
        gt_objs.update(gt.get(name, {}))
        dl = []
        for d in dets["annotations"]:
            if cat_name[d["category_id"]] == name:
                x, y, w, h = d["bbox"]
                dl.append((img_name[d["image_id"]], d["score"], x, y, x + w, y + h))
        out["voc07"][name] = voc_eval(gt_objs, dl, True)
        out["voc"][name] = voc_eval(gt_objs, dl, False)
    return out


def main():
    os.makedirs(OUT, exist_ok=True)
    sets = []
    for seed in range(N_SETS):
        s = make_set(seed)
        gt, dets = coco_dicts(s)
        s["stats"] = coco_stats(gt, dets, s["maxDets"])
        s["voc07"], s["voc"] = voc_per_class(s)
        sets.append(s)
    total = 0
    for f in range(0, N_SETS, PER_FILE):
        path = os.path.join(OUT, "random_%02d.json" % (f // PER_FILE))
        with open(path, "w") as fh:
            fh.write("[\n" + ",\n".join(json.dumps(s, separators=(",", ":")) for s in sets[f:f + PER_FILE]) + "\n]\n")
        total += os.path.getsize(path)
    print("wrote %d sets, %d bytes" % (len(sets), total))
    v = voc100_fixture()
    if v is not None:
        with open(os.path.join(OUT, "voc100_voc_ap.json"), "w") as fh:
            json.dump(v, fh, indent=1, sort_keys=True)
            fh.write("\n")
    # a summary of what the sets cover
    n_crowd = sum(sum(g[8] for g in s["gt"]) for s in sets)
    n_many = sum(1 for s in sets if max([sum(1 for d in s["dets"] if d[0] == i["id"]) for i in s["images"]]) > 100)
    n_undef = sum(1 for s in sets for v in s["stats"] if v == -1)
    print("crowds %d, sets with >100 dets/image %d, -1 stats %d" % (n_crowd, n_many, n_undef))


if __name__ == "__main__":
    main()
