use std::borrow::Cow;

fn label(n: u32) -> String {
    if n == 0 {
        return "none".to_string();
    }
    match n {
        1 => String::from("one"),
        2 => "two".into(),
        _ => format!("{n} items"),
    }
}

fn status(code: u16, detail: &str) -> String {
    match code {
        200 => "ok".to_owned(),
        404 => String::new(),
        _ => detail.to_uppercase(),
    }
}

struct Thing;

impl Thing {
    fn describe(&self, verbose: bool) -> String {
        if verbose { self.long_form() } else { "thing".to_string() }
    }

    fn long_form(&self) -> String {
        "a thing".repeat(2)
    }
}

fn imported(b: bool, s: &str) -> String {
    if b { "x".into() } else { s.to_lowercase() }
}

fn callers(t: &Thing) -> usize {
    let a = label(3);
    println!("{a} {}", status(500, "err"));
    a.len() + t.describe(true).len() + imported(false, "Q").len()
}

fn cow_in_use() -> Cow<'static, str> {
    Cow::Borrowed("cow")
}
