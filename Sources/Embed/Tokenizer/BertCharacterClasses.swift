/// The character classes of HF tokenizers' BERT components (tokenizers/src/normalizers/bert.rs,
/// pre_tokenizers/bert.rs), which differ from Swift's `Character` properties in small ways.
enum BertCharacterClasses {
    /// `is_whitespace`: tab, newline and carriage return, plus the Unicode White_Space
    /// property (Rust `char::is_whitespace`).
    @inline(__always)
    static func isWhitespace(_ scalar: UInt32) -> Bool {
        if scalar < 0x80 { return scalar == 0x20 || (scalar >= 0x09 && scalar <= 0x0D) }
        return Unicode.Scalar(scalar)?.properties.isWhitespace ?? false
    }

    /// `is_control`: categories Cc, Cf, Co (and Cs), except tab, newline and carriage return,
    /// which count as whitespace. Unassigned (Cn) scalars are kept, as HF keeps them.
    static func isControl(_ scalar: UInt32) -> Bool {
        if scalar == 0x09 || scalar == 0x0A || scalar == 0x0D { return false }
        guard let s = Unicode.Scalar(scalar) else { return true }
        switch s.properties.generalCategory {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// `is_bert_punc`: ASCII punctuation (33–47, 58–64, 91–96, 123–126, so `$+<=>^`|~` too)
    /// or any Unicode P* category.
    static func isPunctuation(_ scalar: UInt32) -> Bool {
        if scalar < 0x80 {
            return (scalar >= 33 && scalar <= 47) || (scalar >= 58 && scalar <= 64)
                || (scalar >= 91 && scalar <= 96) || (scalar >= 123 && scalar <= 126)
        }
        guard let s = Unicode.Scalar(scalar) else { return false }
        switch s.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    /// `is_chinese_char`: the CJK ideograph blocks BERT surrounds with spaces.
    @inline(__always)
    static func isChineseChar(_ scalar: UInt32) -> Bool {
        switch scalar {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }
}
