//! Masking personal numbers before text goes onto a bot card: phone numbers and ID numbers are
//! never quoted in full (138****5678, 110101********1234).

/// Returns `text` with mobile numbers (11 digits starting with 1) and resident ID numbers
/// (18 characters, the last may be X) masked. Other digit runs are left alone.
pub fn mask_personal_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        // An ID number may end in X.
        let mut end = i;
        if end - start == 17 && end < chars.len() && matches!(chars[end], 'X' | 'x') {
            end += 1;
            i = end;
        }
        let run: String = chars[start..end].iter().collect();
        out.push_str(&mask_run(&run));
    }
    out
}

fn mask_run(run: &str) -> String {
    let len = run.chars().count();
    match len {
        11 if run.starts_with('1') => format!("{}****{}", &run[..3], &run[7..]),
        18 => format!("{}********{}", &run[..6], &run[14..]),
        _ => run.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_phones_and_ids_only() {
        assert_eq!(
            mask_personal_numbers("电话13812345678找我"),
            "电话138****5678找我"
        );
        assert_eq!(
            mask_personal_numbers("身份证11010119900307123X"),
            "身份证110101********123X"
        );
        assert_eq!(
            mask_personal_numbers("3栋2单元 502室 2024年"),
            "3栋2单元 502室 2024年"
        );
        assert_eq!(
            mask_personal_numbers("call 23812345678"),
            "call 23812345678"
        );
    }
}
