#!/usr/bin/env python3
"""Parity fixtures of torchvision's Faster R-CNN R50-FPN and RetinaNet R50-FPN (issue 11) on seeded random-weight
checkpoints.

Pinned: torch 2.14.1, torchvision 0.29.1, numpy 2.x, CPU, 1 thread (the venv ../shared/tools/ref-env.sh builds).
Run:  ~/.cache/vz-ref-venv/bin/python scripts/make_torchvision_fixtures.py [--checkpoint-only]

No pretrained checkpoint can be downloaded here, so the model is torchvision's own, with seeded random weights:
  * built as `fasterrcnn_resnet50_fpn` builds it for a trained checkpoint (`resnet50(norm_layer=FrozenBatchNorm2d)`,
    `_resnet_fpn_extractor(…, 3)`, `FasterRCNN(…, num_classes=91)`), so the state_dict has exactly the keys and
    shapes of torchvision's `fasterrcnn_resnet50_fpn_coco-258fb6c6.pth`;
  * torch.manual_seed(0) init; BatchNorm statistics calibrated (a train-mode BatchNorm2d twin, momentum None, on
    four random images), then affine terms jittered, so activations stay O(1) through the 53 convolutions as in a
    trained network; every conv/linear bias randomised;
  * RPN objectness weights scaled to logits of std ≈ 1 (so that the sigmoid scores proposals are sorted by do not
    saturate to equal Float32 values near 1, which makes torchvision's own order arbitrary) and
    RPN deltas to std ≈ 0.1; the box predictor's class weights scaled to logits of std ≈ 3 so that real
    detections above the 0.05 score threshold exist, and its deltas to std ≈ 0.5 (÷ 10/5 by the box coder).
The checkpoint (≈ 160 MB, never committed) goes to weights/torchvision-random/fasterrcnn_resnet50_fpn_random.pth
(git-ignored); regenerating it gives the same tensors (seeded, deterministic CPU kernels); expected.checksums
holds per-key sums so the Swift test can tell a different checkpoint from a wrong model.

Input: a synthetic 240 × 300 RGB image, pixel(y, x, c) = (3x + 5y + 70c + (x·y) % 31) % 256, as uint8,
ToTensor (/255); the model's transform with min_size 320, max_size 1333 (→ 320 × 400, padded 320 × 416).
Writes Tests/Fixtures/torchvision/faster_rcnn_r50_fpn.json: per stage a record of each tensor (shape, float64
sum and sum of |x|, every `step`-th element), the proposals and final detections in full.

RetinaNet (`retinanet_resnet50_fpn`'s layout: layers 2–4, LastLevelP6P7(256, 256)): same seeding, calibration and
input; classification logits scaled to std ≈ 1.2 around the focal-loss prior bias −log(99) so that a few percent of
(anchor, class) pairs pass the 0.05 score threshold, regression to std ≈ 0.1. Checkpoint
weights/torchvision-random/retinanet_resnet50_fpn_random.pth, fixture Tests/Fixtures/torchvision/retinanet_r50_fpn.json.
"""
import collections, hashlib, json, math, os, sys
import numpy as np
import torch
import torchvision
from torchvision.models import resnet50
from torchvision.models.detection import FasterRCNN, RetinaNet
from torchvision.ops.feature_pyramid_network import LastLevelP6P7
from torchvision.models.detection.backbone_utils import _resnet_fpn_extractor
from torchvision.models.detection.rpn import concat_box_prediction_layers
from torchvision.ops import FrozenBatchNorm2d

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
CKPT = os.path.join(HERE, "../weights/torchvision-random/fasterrcnn_resnet50_fpn_random.pth")
RETINA_CKPT = os.path.join(HERE, "../weights/torchvision-random/retinanet_resnet50_fpn_random.pth")
RETINA_OUT = os.path.join(HERE, "../Tests/Fixtures/torchvision/retinanet_r50_fpn.json")
OUT = os.path.join(HERE, "../Tests/Fixtures/torchvision/faster_rcnn_r50_fpn.json")
H, W, MIN_SIZE, MAX_SIZE = 240, 300, 320, 1333
CHECKSUM_KEYS = ["backbone.body.conv1.weight", "backbone.body.layer4.2.bn3.running_var", "backbone.fpn.layer_blocks.3.0.bias",
                 "rpn.head.cls_logits.weight", "roi_heads.box_predictor.cls_score.weight"]


def build(norm_layer):
    body = resnet50(weights=None, norm_layer=norm_layer)
    return FasterRCNN(_resnet_fpn_extractor(body, 3), num_classes=91, min_size=MIN_SIZE, max_size=MAX_SIZE)


def image():
    y, x, c = np.meshgrid(np.arange(H), np.arange(W), np.arange(3), indexing="ij")
    return ((3 * x + 5 * y + 70 * c + (x * y) % 31) % 256).astype(np.uint8)


def to_tensor(img):
    return torch.from_numpy(img).permute(2, 0, 1).float() / 255


def make_checkpoint():
    torch.manual_seed(0)
    m = build(torch.nn.BatchNorm2d)
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)) and mod.bias is not None:
                mod.bias.uniform_(-0.1, 0.1, generator=g)
        # BatchNorm statistics from data: cumulative averages over four random images.
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.reset_running_stats(); mod.momentum = None
        m.backbone.body.train()
        for _ in range(4):
            m.backbone.body(torch.randn(1, 3, 224, 288, generator=g))
        m.eval()
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.6, 1.4, generator=g); mod.bias.uniform_(-0.2, 0.2, generator=g)
        # Scale heads: measure on the fixture input, then rescale.
        x = [to_tensor(image())]
        images, _ = m.transform(x)
        feats = m.backbone(images.tensors)
        fl = list(feats.values())
        obj, deltas = m.rpn.head(fl)
        s_obj = torch.cat([o.flatten() for o in obj]).std()
        s_del = torch.cat([d.flatten() for d in deltas]).std()
        m.rpn.head.cls_logits.weight.mul_(1.0 / s_obj); m.rpn.head.bbox_pred.weight.mul_(0.1 / s_del)
        proposals, _ = m.rpn(images, feats)
        bf = m.roi_heads.box_head(m.roi_heads.box_roi_pool(feats, proposals, images.image_sizes))
        cl, bb = m.roi_heads.box_predictor(bf)
        m.roi_heads.box_predictor.cls_score.weight.mul_(3.0 / cl.std())
        m.roi_heads.box_predictor.bbox_pred.weight.mul_(0.5 / bb.std())
    sd = collections.OrderedDict((k, v) for k, v in m.state_dict().items() if not k.endswith("num_batches_tracked"))
    os.makedirs(os.path.dirname(CKPT), exist_ok=True)
    torch.save(sd, CKPT)
    return sd


def f32(t):
    """Shortest decimals that round-trip each Float32 value."""
    return [float(np.format_float_positional(v, unique=True)) for v in t.detach().reshape(-1).numpy().astype(np.float32)]


def record(t, step=None):
    a = t.detach().double().reshape(-1).numpy()
    step = step or max(1, a.size // 300)
    return {"shape": list(t.shape), "sum": float(a.sum()), "abs_sum": float(np.abs(a).sum()), "step": step,
            "samples": f32(t.detach().reshape(-1)[::step])}


def build_retinanet(norm_layer):
    body = resnet50(weights=None, norm_layer=norm_layer)
    bb = _resnet_fpn_extractor(body, 3, returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
    return RetinaNet(bb, num_classes=91, min_size=MIN_SIZE, max_size=MAX_SIZE)


def make_retinanet_checkpoint():
    torch.manual_seed(0)
    m = build_retinanet(torch.nn.BatchNorm2d)
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for mod in m.modules():
            if isinstance(mod, (torch.nn.Conv2d, torch.nn.Linear)) and mod.bias is not None:
                mod.bias.uniform_(-0.1, 0.1, generator=g)
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.reset_running_stats(); mod.momentum = None
        m.backbone.body.train()
        for _ in range(4):
            m.backbone.body(torch.randn(1, 3, 224, 288, generator=g))
        m.eval()
        for mod in m.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.6, 1.4, generator=g); mod.bias.uniform_(-0.2, 0.2, generator=g)
        images, _ = m.transform([to_tensor(image())])
        feats = list(m.backbone(images.tensors).values())
        ch, rh = m.head.classification_head, m.head.regression_head
        out = ch(feats) - ch.cls_logits.bias.mean()
        ch.cls_logits.weight.mul_(1.2 / out.std()); ch.cls_logits.bias.normal_(-math.log(99), 0.1, generator=g)
        rh.bbox_reg.weight.mul_(0.1 / rh(feats).std())
    sd = collections.OrderedDict((k, v) for k, v in m.state_dict().items() if not k.endswith("num_batches_tracked"))
    os.makedirs(os.path.dirname(RETINA_CKPT), exist_ok=True)
    torch.save(sd, RETINA_CKPT)
    return sd


def retinanet_fixture(sd):
    m = build_retinanet(FrozenBatchNorm2d)
    m.load_state_dict(sd, strict=True)
    m.eval()
    x = [to_tensor(image())]
    out = {"torch": torch.__version__, "torchvision": torchvision.__version__,
           "checksums": {k: float(sd[k].double().sum()) for k in
                         ["backbone.body.conv1.weight", "backbone.fpn.extra_blocks.p7.weight",
                          "head.classification_head.cls_logits.weight", "head.regression_head.bbox_reg.bias"]},
           "image": {"height": H, "width": W, "min_size": MIN_SIZE, "max_size": MAX_SIZE}}
    with torch.no_grad():
        images, _ = m.transform(x)
        feats = m.backbone(images.tensors)
        out["features"] = {k: record(v) for k, v in feats.items()}
        fl = list(feats.values())
        ho = m.head(fl)
        out["cls_logits"] = record(ho["cls_logits"], step=9973)
        out["bbox_regression"] = record(ho["bbox_regression"], step=997)
        anchors = m.anchor_generator(images, fl)
        per_level = [f.shape[2] * f.shape[3] * 9 for f in fl]
        split = {k: list(v.split(per_level, dim=1)) for k, v in ho.items()}
        dets = m.postprocess_detections(split, [list(anchors[0].split(per_level))], images.image_sizes)[0]
        out["detections_input_pixels"] = {"boxes": f32(dets["boxes"]), "scores": f32(dets["scores"]), "labels": dets["labels"].tolist()}
        det = m(x)[0]
        out["detections"] = {"boxes": f32(det["boxes"]), "scores": f32(det["scores"]), "labels": det["labels"].tolist()}
    print("retinanet detections", len(out["detections"]["scores"]), "top", out["detections"]["scores"][:3])
    with open(RETINA_OUT, "w") as f:
        json.dump(out, f)
    print("wrote", RETINA_OUT, os.path.getsize(RETINA_OUT), "bytes")


def main():
    rsd = make_retinanet_checkpoint()
    print("wrote", RETINA_CKPT, os.path.getsize(RETINA_CKPT), "bytes")
    if "--checkpoint-only" not in sys.argv:
        retinanet_fixture(rsd)
    sd = make_checkpoint()
    print("wrote", CKPT, os.path.getsize(CKPT), "bytes;", {k: float(sd[k].double().sum()) for k in CHECKSUM_KEYS})
    if "--checkpoint-only" in sys.argv:
        return
    m = build(FrozenBatchNorm2d)
    m.load_state_dict(sd, strict=True)
    m.eval()
    img = image()
    x = [to_tensor(img)]
    out = {"torch": torch.__version__, "torchvision": torchvision.__version__,
           "checksums": {k: float(sd[k].double().sum()) for k in CHECKSUM_KEYS},
           "image": {"height": H, "width": W, "min_size": MIN_SIZE, "max_size": MAX_SIZE}}
    with torch.no_grad():
        images, _ = m.transform(x)
        out["transform"] = {"image_size": list(images.image_sizes[0]), "tensor": record(images.tensors)}
        feats = m.backbone(images.tensors)
        out["features"] = {k: record(v) for k, v in feats.items()}
        fl = list(feats.values())
        obj, deltas = m.rpn.head(fl)
        out["rpn_head"] = {"objectness": [record(o) for o in obj], "deltas": [record(d) for d in deltas]}
        proposals, _ = m.rpn(images, feats)
        out["proposals"] = f32(proposals[0])
        # The scores filter_proposals sorted them by (m.rpn returns the boxes only).
        anchors = m.rpn.anchor_generator(images, fl)
        per_level = [o[0].numel() for o in obj]
        o2, d2 = concat_box_prediction_layers(obj, deltas)
        decoded = m.rpn.box_coder.decode(d2, anchors).view(1, -1, 4)
        b2, s2 = m.rpn.filter_proposals(decoded, o2, images.image_sizes, per_level)
        assert torch.equal(b2[0], proposals[0])
        out["proposal_scores"] = f32(s2[0])
        pooled = m.roi_heads.box_roi_pool(feats, proposals, images.image_sizes)
        out["roi_features"] = record(pooled, step=8191)
        bf = m.roi_heads.box_head(pooled)
        cl, bb = m.roi_heads.box_predictor(bf)
        out["class_logits"] = record(cl, step=197)
        out["box_regression"] = record(bb, step=397)
        boxes, scores, labels = m.roi_heads.postprocess_detections(cl, bb, proposals, images.image_sizes)
        out["detections_input_pixels"] = {"boxes": f32(boxes[0]), "scores": f32(scores[0]),
                                          "labels": labels[0].tolist()}
        det = m(x)[0]
        out["detections"] = {"boxes": f32(det["boxes"]), "scores": f32(det["scores"]),
                             "labels": det["labels"].tolist()}
    print("proposals", proposals[0].shape[0], "detections", len(out["detections"]["scores"]),
          "top scores", out["detections"]["scores"][:5])
    with open(OUT, "w") as f:
        json.dump(out, f)
    print("wrote", OUT, os.path.getsize(OUT), "bytes")


if __name__ == "__main__":
    main()
