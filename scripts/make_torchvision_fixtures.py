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

FCOS (`fcos_resnet50_fpn`'s layout: layers 2–4, LastLevelP6P7(256, 256), FCOSHead with GroupNorm(32) towers): same
seeding and calibration (seed 3), GroupNorm affine terms jittered like BatchNorm's; classification logits scaled to
std ≈ 1.2 around −log(99), centerness logits to std ≈ 1, box distances (before the head's ReLU) to std ≈ 1 around
+1, so that a few hundred (location, class) pairs pass the 0.2 score threshold. Checkpoint
weights/torchvision-random/fcos_resnet50_fpn_random.pth, fixture Tests/Fixtures/torchvision/fcos_r50_fpn.json.

Faster R-CNN MobileNetV3-Large-FPN (`fasterrcnn_mobilenet_v3_large_fpn`'s layout: `mobilenet_v3_large(norm_layer=
FrozenBatchNorm2d)`, `_mobilenet_extractor(…, True, 3)` → features 13 and 16, FPN + LastLevelMaxPool, anchors
((32, 64, 128, 256, 512),) × 3, rpn_score_thresh 0.05; seed 4) and Faster R-CNN R50-FPN v2 (`fasterrcnn_resnet50_fpn_v2`:
BatchNorm2d ResNet-50 and FPN, RPNHead conv_depth=2, FastRCNNConvFCHead with BatchNorm; seed 5, the FPN and box head
BatchNorm statistics calibrated like the trunk's): recipe of the R50-FPN checkpoint. One MobileNet checkpoint serves
both MobileNet fixtures: `mobilenet` (min_size 320, max_size 1333, 1000/1000 proposals) and `mobilenet320` (the
`_320_` builder's min_size 320, max_size 640, rpn pre/post NMS top-n test 150/150). Checkpoints
weights/torchvision-random/fasterrcnn_{mobilenet_v3_large_fpn,resnet50_fpn_v2}_random.pth; fixtures
Tests/Fixtures/torchvision/faster_rcnn_{mobilenet_v3_large_fpn,mobilenet_v3_large_320_fpn,r50_fpn_v2}.json (the schema
of faster_rcnn_r50_fpn.json).

A fine-tuned-style checkpoint (`finetuned`: the `_320_` MobileNet layout with num_classes=3, i.e. background + 2
classes, as `FastRCNNPredictor(1024, 3)` replaces the predictor when fine-tuning; seed 6, class logits std 1.5):
weights/torchvision-random/fasterrcnn_mobilenet_v3_large_320_fpn_3class_random.pth and its final detections on the
fixture image, Tests/Fixtures/torchvision/faster_rcnn_mobilenet_v3_large_320_fpn_3class.json (`vz detect --names`).

`--only NAME[,NAME]` (faster, retina, fcos, mobilenet, v2, finetuned) limits the run to those models.
"""
import collections, hashlib, json, math, os, sys
import numpy as np
import torch
import torchvision
from torchvision.models import mobilenet_v3_large, resnet50
from torchvision.models.detection import FCOS, FasterRCNN, RetinaNet
from torchvision.ops.feature_pyramid_network import LastLevelP6P7
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import _mobilenet_extractor, _resnet_fpn_extractor
from torchvision.models.detection.faster_rcnn import FastRCNNConvFCHead, RPNHead, _default_anchorgen
from torchvision.models.detection.rpn import concat_box_prediction_layers
from torchvision.ops import FrozenBatchNorm2d

torch.set_num_threads(1)
HERE = os.path.dirname(os.path.abspath(__file__))
CKPT = os.path.join(HERE, "../weights/torchvision-random/fasterrcnn_resnet50_fpn_random.pth")
RETINA_CKPT = os.path.join(HERE, "../weights/torchvision-random/retinanet_resnet50_fpn_random.pth")
RETINA_OUT = os.path.join(HERE, "../Tests/Fixtures/torchvision/retinanet_r50_fpn.json")
OUT = os.path.join(HERE, "../Tests/Fixtures/torchvision/faster_rcnn_r50_fpn.json")
FCOS_CKPT = os.path.join(HERE, "../weights/torchvision-random/fcos_resnet50_fpn_random.pth")
FCOS_OUT = os.path.join(HERE, "../Tests/Fixtures/torchvision/fcos_r50_fpn.json")
MOBILE_CKPT = os.path.join(HERE, "../weights/torchvision-random/fasterrcnn_mobilenet_v3_large_fpn_random.pth")
V2_CKPT = os.path.join(HERE, "../weights/torchvision-random/fasterrcnn_resnet50_fpn_v2_random.pth")
FIXTURES = os.path.join(HERE, "../Tests/Fixtures/torchvision")
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


def calibrate_backbone(m, g):
    """Conv/linear biases random, BatchNorm statistics from four random images, BatchNorm and GroupNorm affine
    terms jittered (the recipe of the Faster R-CNN / RetinaNet checkpoints above)."""
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
        if isinstance(mod, (torch.nn.BatchNorm2d, torch.nn.GroupNorm)):
            mod.weight.uniform_(0.6, 1.4, generator=g); mod.bias.uniform_(-0.2, 0.2, generator=g)


def save(sd_model, path):
    sd = collections.OrderedDict((k, v) for k, v in sd_model.state_dict().items() if not k.endswith("num_batches_tracked"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.save(sd, path)
    print("wrote", path, os.path.getsize(path), "bytes")
    return sd


def build_fcos(norm_layer):
    body = resnet50(weights=None, norm_layer=norm_layer)
    bb = _resnet_fpn_extractor(body, 3, returned_layers=[2, 3, 4], extra_blocks=LastLevelP6P7(256, 256))
    return FCOS(bb, num_classes=91, min_size=MIN_SIZE, max_size=MAX_SIZE)


def make_fcos_checkpoint():
    torch.manual_seed(0)
    m = build_fcos(torch.nn.BatchNorm2d)
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        calibrate_backbone(m, g)
        images, _ = m.transform([to_tensor(image())])
        feats = list(m.backbone(images.tensors).values())
        ch, rh = m.head.classification_head, m.head.regression_head
        out = ch(feats) - ch.cls_logits.bias.mean()
        ch.cls_logits.weight.mul_(1.2 / out.std()); ch.cls_logits.bias.normal_(-math.log(99), 0.1, generator=g)
        bf = [rh.conv(f) for f in feats]
        reg = torch.cat([rh.bbox_reg(f).flatten() for f in bf]) - rh.bbox_reg.bias.mean()
        rh.bbox_reg.weight.mul_(1.0 / reg.std()); rh.bbox_reg.bias.normal_(1.0, 0.1, generator=g)
        ctr = torch.cat([rh.bbox_ctrness(f).flatten() for f in bf]) - rh.bbox_ctrness.bias.mean()
        rh.bbox_ctrness.weight.mul_(1.0 / ctr.std())
    return save(m, FCOS_CKPT)


def fcos_fixture(sd):
    m = build_fcos(FrozenBatchNorm2d)
    m.load_state_dict(sd, strict=True)
    m.eval()
    x = [to_tensor(image())]
    out = {"torch": torch.__version__, "torchvision": torchvision.__version__,
           "checksums": {k: float(sd[k].double().sum()) for k in
                         ["backbone.body.conv1.weight", "backbone.fpn.extra_blocks.p7.weight",
                          "head.classification_head.conv.1.weight", "head.regression_head.bbox_ctrness.weight"]},
           "image": {"height": H, "width": W, "min_size": MIN_SIZE, "max_size": MAX_SIZE}}
    with torch.no_grad():
        images, _ = m.transform(x)
        feats = m.backbone(images.tensors)
        out["features"] = {k: record(v) for k, v in feats.items()}
        fl = list(feats.values())
        # The first tower layer (conv → GroupNorm → ReLU) of the classification head on P3: the GroupNorm alone.
        out["cls_tower_0"] = record(m.head.classification_head.conv[:3](fl[0]), step=997)
        ho = m.head(fl)
        out["cls_logits"] = record(ho["cls_logits"], step=9973)
        out["bbox_regression"] = record(ho["bbox_regression"], step=97)
        out["bbox_ctrness"] = record(ho["bbox_ctrness"], step=23)
        anchors = m.anchor_generator(images, fl)
        per_level = [f.shape[2] * f.shape[3] for f in fl]
        split = {k: list(v.split(per_level, dim=1)) for k, v in ho.items()}
        dets = m.postprocess_detections(split, [list(anchors[0].split(per_level))], images.image_sizes)[0]
        out["detections_input_pixels"] = {"boxes": f32(dets["boxes"]), "scores": f32(dets["scores"]), "labels": dets["labels"].tolist()}
        det = m(x)[0]
        out["detections"] = {"boxes": f32(det["boxes"]), "scores": f32(det["scores"]), "labels": det["labels"].tolist()}
    print("fcos detections", len(out["detections"]["scores"]), "top", out["detections"]["scores"][:3])
    with open(FCOS_OUT, "w") as f:
        json.dump(out, f)
    print("wrote", FCOS_OUT, os.path.getsize(FCOS_OUT), "bytes")


def rcnn_fixture(m, sd, checksum_keys, path, label):
    """Every stage of a torchvision Faster R-CNN `m` (eval, `sd` loaded) on the fixture image, written to `path`."""
    img = image()
    x = [to_tensor(img)]
    out = {"torch": torch.__version__, "torchvision": torchvision.__version__,
           "checksums": {k: float(sd[k].double().sum()) for k in checksum_keys},
           "image": {"height": H, "width": W, "min_size": m.transform.min_size[0], "max_size": m.transform.max_size}}
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
    print(label, "proposals", proposals[0].shape[0], "detections", len(out["detections"]["scores"]),
          "top scores", out["detections"]["scores"][:5])
    with open(path, "w") as f:
        json.dump(out, f)
    print("wrote", path, os.path.getsize(path), "bytes")


def build_mobilenet(norm_layer, small=False, num_classes=91):
    body = _mobilenet_extractor(mobilenet_v3_large(weights=None, norm_layer=norm_layer), True, 3)
    anchors = AnchorGenerator(((32, 64, 128, 256, 512),) * 3, ((0.5, 1.0, 2.0),) * 3)
    extra = dict(max_size=640, rpn_pre_nms_top_n_test=150, rpn_post_nms_top_n_test=150) if small else dict(max_size=MAX_SIZE)
    return FasterRCNN(body, num_classes=num_classes, rpn_anchor_generator=anchors, min_size=MIN_SIZE, rpn_score_thresh=0.05, **extra)


def build_v2(norm_layer):
    # fasterrcnn_resnet50_fpn_v2 uses BatchNorm2d everywhere (trained or not); `norm_layer` is the trunk's here so the
    # checkpoint keeps BatchNorm2d's keys (num_batches_tracked dropped, as for the other files).
    bb = _resnet_fpn_extractor(resnet50(weights=None, norm_layer=norm_layer), 3, norm_layer=torch.nn.BatchNorm2d)
    anchors = _default_anchorgen()
    rpn_head = RPNHead(bb.out_channels, anchors.num_anchors_per_location()[0], conv_depth=2)
    box_head = FastRCNNConvFCHead((bb.out_channels, 7, 7), [256, 256, 256, 256], [1024], norm_layer=torch.nn.BatchNorm2d)
    return FasterRCNN(bb, num_classes=91, rpn_anchor_generator=anchors, rpn_head=rpn_head, box_head=box_head,
                      min_size=MIN_SIZE, max_size=MAX_SIZE)


def make_rcnn_checkpoint(m, seed, path, cls_std=3.0):
    """The R50-FPN recipe (make_checkpoint) for another Faster R-CNN layout; BatchNorms outside the trunk (v2's FPN
    and box head) get statistics from the same kind of data first."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        calibrate_backbone(m, g)
        x = [to_tensor(image())]
        images, _ = m.transform(x)
        if any(isinstance(mod, torch.nn.BatchNorm2d) for mod in m.backbone.fpn.modules()):
            for mod in list(m.backbone.fpn.modules()) + list(m.roi_heads.box_head.modules()):
                if isinstance(mod, torch.nn.BatchNorm2d):
                    mod.reset_running_stats(); mod.momentum = None
            m.backbone.fpn.train()
            m.backbone(images.tensors)
            m.eval()
            feats = m.backbone(images.tensors)
            proposals, _ = m.rpn(images, feats)
            m.roi_heads.box_head.train()
            m.roi_heads.box_head(m.roi_heads.box_roi_pool(feats, proposals, images.image_sizes))
            m.eval()
            for mod in list(m.backbone.fpn.modules()) + list(m.roi_heads.box_head.modules()):
                if isinstance(mod, torch.nn.BatchNorm2d):
                    mod.weight.uniform_(0.6, 1.4, generator=g); mod.bias.uniform_(-0.2, 0.2, generator=g)
        feats = m.backbone(images.tensors)
        obj, deltas = m.rpn.head(list(feats.values()))
        s_obj = torch.cat([o.flatten() for o in obj]).std()
        s_del = torch.cat([d.flatten() for d in deltas]).std()
        m.rpn.head.cls_logits.weight.mul_(1.0 / s_obj); m.rpn.head.bbox_pred.weight.mul_(0.1 / s_del)
        proposals, _ = m.rpn(images, feats)
        bf = m.roi_heads.box_head(m.roi_heads.box_roi_pool(feats, proposals, images.image_sizes))
        cl, bb = m.roi_heads.box_predictor(bf)
        m.roi_heads.box_predictor.cls_score.weight.mul_(cls_std / cl.std())
        m.roi_heads.box_predictor.bbox_pred.weight.mul_(0.5 / bb.std())
    return save(m, path)


def loaded(m, sd):
    m.load_state_dict(sd, strict=True)
    return m.eval()


def main():
    only = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")), None)
    if "--only" in sys.argv:
        only = sys.argv[sys.argv.index("--only") + 1]
    wanted = set(only.split(",")) if only else {"faster", "retina", "fcos", "mobilenet", "v2", "finetuned"}
    fixtures = "--checkpoint-only" not in sys.argv
    if "finetuned" in wanted:
        torch.manual_seed(0)
        path = os.path.join(HERE, "../weights/torchvision-random/fasterrcnn_mobilenet_v3_large_320_fpn_3class_random.pth")
        tsd = make_rcnn_checkpoint(build_mobilenet(torch.nn.BatchNorm2d, small=True, num_classes=3), 6, path, cls_std=1.5)
        if fixtures:
            m = loaded(build_mobilenet(FrozenBatchNorm2d, small=True, num_classes=3), tsd)
            with torch.no_grad():
                det = m([to_tensor(image())])[0]
            out = {"torch": torch.__version__, "torchvision": torchvision.__version__,
                   "image": {"height": H, "width": W, "min_size": MIN_SIZE, "max_size": 640},
                   "detections": {"boxes": f32(det["boxes"]), "scores": f32(det["scores"]), "labels": det["labels"].tolist()}}
            fpath = os.path.join(FIXTURES, "faster_rcnn_mobilenet_v3_large_320_fpn_3class.json")
            with open(fpath, "w") as f:
                json.dump(out, f)
            print("finetuned detections", len(det["scores"]), "labels", sorted(set(det["labels"].tolist())), "wrote", fpath, os.path.getsize(fpath))
    if "mobilenet" in wanted:
        torch.manual_seed(0)
        msd = make_rcnn_checkpoint(build_mobilenet(torch.nn.BatchNorm2d), 4, MOBILE_CKPT, cls_std=1.5)
        if fixtures:
            keys = ["backbone.body.0.0.weight", "backbone.body.13.block.2.fc1.weight", "backbone.body.16.1.running_var",
                    "rpn.head.cls_logits.weight", "roi_heads.box_predictor.cls_score.weight"]
            rcnn_fixture(loaded(build_mobilenet(FrozenBatchNorm2d), msd), msd, keys,
                         os.path.join(FIXTURES, "faster_rcnn_mobilenet_v3_large_fpn.json"), "mobilenet")
            rcnn_fixture(loaded(build_mobilenet(FrozenBatchNorm2d, small=True), msd), msd, keys,
                         os.path.join(FIXTURES, "faster_rcnn_mobilenet_v3_large_320_fpn.json"), "mobilenet320")
    if "v2" in wanted:
        torch.manual_seed(0)
        vsd = make_rcnn_checkpoint(build_v2(torch.nn.BatchNorm2d), 5, V2_CKPT)
        if fixtures:
            keys = ["backbone.body.conv1.weight", "backbone.fpn.inner_blocks.0.1.running_var", "rpn.head.conv.1.0.weight",
                    "roi_heads.box_head.3.1.running_mean", "roi_heads.box_head.5.weight", "roi_heads.box_predictor.cls_score.weight"]
            rcnn_fixture(loaded(build_v2(FrozenBatchNorm2d), vsd), vsd, keys, os.path.join(FIXTURES, "faster_rcnn_r50_fpn_v2.json"), "v2")
    if "fcos" in wanted:
        fsd = make_fcos_checkpoint()
        if fixtures:
            fcos_fixture(fsd)
    if "retina" in wanted:
        rsd = make_retinanet_checkpoint()
        print("wrote", RETINA_CKPT, os.path.getsize(RETINA_CKPT), "bytes")
        if fixtures:
            retinanet_fixture(rsd)
    if "faster" not in wanted:
        return
    sd = make_checkpoint()
    print("wrote", CKPT, os.path.getsize(CKPT), "bytes;", {k: float(sd[k].double().sum()) for k in CHECKSUM_KEYS})
    if "--checkpoint-only" in sys.argv:
        return
    m = build(FrozenBatchNorm2d)
    m.load_state_dict(sd, strict=True)
    m.eval()
    rcnn_fixture(m, sd, CHECKSUM_KEYS, OUT, "faster")

if __name__ == "__main__":
    main()
