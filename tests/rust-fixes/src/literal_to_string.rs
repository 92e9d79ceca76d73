use std::collections::HashMap;
use std::path::Path;

fn takes(s: &str) -> usize {
    s.len()
}

struct Parser;

impl Parser {
    fn feed(&self, chunk: &str) -> usize {
        chunk.len()
    }
}

fn fires(name: String, m: &HashMap<String, u32>, p: &Parser, tags: &[String], s: &str) -> usize {
    let mut n = 0;
    if name == "admin".to_string() {
        n += 1;
    }
    if String::from("root") != name {
        n += 1;
    }
    n += takes(&"x".to_owned());
    n += p.feed(&"chunk".to_string());
    n += m.get(&"key".to_string()).copied().unwrap_or(0) as usize;
    n += "abc".to_string().as_str().len();
    let r: &str = &"ref".to_string();
    n += r.len();
    if tags.contains(&"t".to_string()) {
        n += 1;
    }
    if *s == "deref".to_string() {
        n += 1;
    }
    if &s[1..] == "rest".to_string() {
        n += 1;
    }
    if Path::new(&"dir".to_string()).exists() {
        n += 1;
    }
    n += crate::helpers::takes_str(&"other".to_string());
    n
}
