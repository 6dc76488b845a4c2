import VoxSAMCore

/// SNOMED CT codes for common structures, as DICOM SEG / RTSTRUCT exports need them.
///
/// Category and type codes are those 3D Slicer's terminologies and dcmqi use (Slicer
/// `SegmentationCategoryTypeModifier-SlicerGeneralAnatomy.json`, TotalSegmentator's
/// `totalsegmentator_snomed_mapping.csv`): organs are category SCT 123037004 "Anatomical Structure",
/// tumours and other lesions SCT 49755003 "Morphologically Altered Structure", bone and fat
/// SCT 85756007 "Tissue". Left/right organs use the type modifier SCT 7771000 "Left" / 24028007
/// "Right" (SegmentedPropertyTypeModifierCodeSequence), as Slicer does. Display colours follow
/// Slicer's GenericAnatomyColors.
///
/// Names are matched case-, space-, hyphen- and underscore-insensitively, with a few synonyms
/// (`tumor`/`tumour`, `kidney_left`/`left kidney`, `ivc`, `gall bladder`, …).
public enum BuiltinTerminology {
    public struct Entry: Sendable, Equatable {
        /// The canonical name (what `voxsam protocol` prints and the lookup key).
        public var name: String
        /// Other spellings that resolve to this entry.
        public var synonyms: [String]
        public var category: CodedConcept
        public var type: CodedConcept
        public var typeModifier: CodedConcept?
        public var color: RGB
    }

    public static let anatomicalStructure = CodedConcept("123037004", "SCT", "Anatomical Structure")
    public static let morphologicallyAlteredStructure = CodedConcept("49755003", "SCT", "Morphologically Altered Structure")
    public static let tissue = CodedConcept("85756007", "SCT", "Tissue")
    public static let left = CodedConcept("7771000", "SCT", "Left")
    public static let right = CodedConcept("24028007", "SCT", "Right")

    /// The documented fallback for a structure neither the protocol nor this table knows:
    /// category SCT 85756007 "Tissue", type SCT 85756007 "Tissue" — the generic "Tissue" entry of
    /// Slicer's General Anatomy terminology. It claims nothing about the anatomy, and every DICOM
    /// reader accepts it; the segment's name still says what it is.
    public static let fallbackCategory = tissue
    public static let fallbackType = tissue

    private static func organ(_ name: String, _ code: String, _ meaning: String, _ c: RGB, _ synonyms: [String] = [],
                              modifier: CodedConcept? = nil) -> Entry {
        Entry(name: name, synonyms: synonyms, category: anatomicalStructure, type: CodedConcept(code, "SCT", meaning),
              typeModifier: modifier, color: c)
    }

    private static func altered(_ name: String, _ code: String, _ meaning: String, _ c: RGB, _ synonyms: [String] = []) -> Entry {
        Entry(name: name, synonyms: synonyms, category: morphologicallyAlteredStructure, type: CodedConcept(code, "SCT", meaning),
              typeModifier: nil, color: c)
    }

    private static func tissueEntry(_ name: String, _ code: String, _ meaning: String, _ c: RGB, _ synonyms: [String] = []) -> Entry {
        Entry(name: name, synonyms: synonyms, category: tissue, type: CodedConcept(code, "SCT", meaning), typeModifier: nil, color: c)
    }

    public static let entries: [Entry] = [
        organ("liver", "10200004", "Liver", RGB(221, 130, 101), ["hepar"]),
        organ("spleen", "78961009", "Spleen", RGB(157, 108, 162)),
        organ("kidney", "64033007", "Kidney", RGB(185, 102, 83), ["kidneys"]),
        organ("kidney_left", "64033007", "Kidney", RGB(185, 102, 83), ["left kidney", "kidney l", "l kidney"], modifier: left),
        organ("kidney_right", "64033007", "Kidney", RGB(185, 102, 83), ["right kidney", "kidney r", "r kidney"], modifier: right),
        organ("pancreas", "15776009", "Pancreas", RGB(249, 180, 111)),
        organ("stomach", "69695003", "Stomach", RGB(216, 132, 105)),
        organ("gallbladder", "28231008", "Gallbladder", RGB(139, 150, 98)),
        organ("aorta", "15825003", "Aorta", RGB(224, 97, 76)),
        organ("inferior_vena_cava", "64131007", "Inferior vena cava", RGB(0, 151, 206), ["ivc", "vena cava inferior"]),
        organ("portal_vein", "32764006", "Portal vein", RGB(0, 151, 206)),
        organ("lung", "39607008", "Lung", RGB(197, 165, 145), ["lungs"]),
        organ("lung_left", "39607008", "Lung", RGB(197, 165, 145), ["left lung"], modifier: left),
        organ("lung_right", "39607008", "Lung", RGB(197, 165, 145), ["right lung"], modifier: right),
        organ("heart", "80891009", "Heart", RGB(206, 110, 84)),
        organ("trachea", "44567001", "Trachea", RGB(182, 228, 255)),
        organ("esophagus", "32849002", "Esophagus", RGB(211, 171, 143), ["oesophagus"]),
        organ("duodenum", "38848004", "Duodenum", RGB(255, 253, 229)),
        organ("small_bowel", "30315005", "Small Intestine", RGB(205, 167, 142), ["small intestine"]),
        organ("colon", "71854001", "Colon", RGB(204, 168, 143), ["large bowel", "large intestine"]),
        organ("urinary_bladder", "89837001", "Urinary bladder", RGB(222, 154, 132), ["bladder"]),
        organ("prostate", "41216001", "Prostate", RGB(230, 158, 140)),
        organ("brain", "12738006", "Brain", RGB(250, 250, 225)),
        organ("spinal_cord", "2748008", "Spinal cord", RGB(244, 214, 49)),
        organ("thyroid_gland", "69748006", "Thyroid gland", RGB(220, 140, 100), ["thyroid"]),
        organ("adrenal_gland", "23451007", "Adrenal gland", RGB(249, 186, 150), ["adrenal", "adrenal glands"]),
        organ("adrenal_gland_left", "23451007", "Adrenal gland", RGB(249, 186, 150), ["left adrenal gland", "left adrenal"], modifier: left),
        organ("adrenal_gland_right", "23451007", "Adrenal gland", RGB(249, 186, 150), ["right adrenal gland", "right adrenal"], modifier: right),
        organ("vertebra", "51282000", "Vertebra", RGB(241, 214, 145), ["vertebrae", "spine"]),
        organ("sacrum", "54735007", "Sacrum", RGB(241, 214, 145)),
        organ("rib", "113197003", "Rib", RGB(241, 214, 145), ["ribs"]),
        organ("sternum", "56873002", "Sternum", RGB(241, 214, 145)),
        organ("skull", "89546000", "Skull", RGB(241, 214, 145)),
        organ("femur", "71341001", "Femur", RGB(241, 214, 145)),
        organ("skeletal_muscle", "127954009", "Skeletal muscle", RGB(192, 104, 88), ["muscle"]),
        tissueEntry("bone", "272673000", "Bone", RGB(241, 214, 145)),
        tissueEntry("fat", "248300009", "Body fat", RGB(230, 220, 70), ["body fat"]),
        tissueEntry("subcutaneous_fat", "67769002", "Subcutaneous fatty tissue", RGB(230, 220, 70)),
        altered("neoplasm", "108369006", "Neoplasm", RGB(255, 0, 0), ["tumour", "tumor", "whole tumour", "whole tumor", "gtv"]),
        altered("mass", "4147007", "Mass", RGB(255, 80, 0)),
        altered("lesion", "52988006", "Lesion", RGB(255, 160, 0), ["lesions"]),
        altered("nodule", "27925004", "Nodule", RGB(255, 120, 0)),
        altered("cyst", "367643001", "Cyst", RGB(120, 200, 255)),
        altered("edema", "79654002", "Edema", RGB(255, 255, 0), ["oedema", "peritumoral edema", "peritumoural oedema"]),
        altered("necrosis", "6574001", "Necrosis", RGB(90, 60, 160), ["necrotic core"]),
        altered("hemorrhage", "50960005", "Hemorrhage", RGB(160, 0, 0), ["haemorrhage", "bleed"]),
    ]

    /// Lower-case without spaces, underscores, hyphens or dots: `Kidney_Left` = `kidney left` = `kidney-left`.
    public static func normalise(_ name: String) -> String {
        String(name.lowercased().unicodeScalars.filter { !" _-.\t".unicodeScalars.contains($0) }.map(Character.init))
    }

    private static let index: [String: Entry] = {
        var d: [String: Entry] = [:]
        for e in entries {
            for n in [e.name] + e.synonyms where d[normalise(n)] == nil { d[normalise(n)] = e }
        }
        return d
    }()

    /// The entry for a structure name (or synonym), if the table has one.
    public static func entry(named name: String) -> Entry? { index[normalise(name)] }
}
