use std::collections::{HashMap, HashSet};

fn squares(n: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(i * i);
    }
    out
}

fn lengths(words: &[String]) -> Vec<usize> {
    let mut lens = vec![];
    for w in words.iter().enumerate() {
        lens.push(w.1.len());
    }
    lens
}

fn index(words: &[String]) -> HashMap<&str, usize> {
    let mut m = HashMap::new();
    for (i, w) in words.iter().enumerate() {
        m.insert(w.as_str(), i);
    }
    m
}

fn stars(n: usize) -> String {
    let mut s = String::new();
    for _ in 0..=n {
        s.push('*');
    }
    s
}

fn header_then_rows(rows: &[u32]) -> Vec<u32> {
    let mut v = Vec::new();
    v.push(0);
    for r in rows {
        v.push(*r);
    }
    v
}

fn fixed() -> HashSet<u8> {
    let mut s = HashSet::new();
    s.insert(1);
    s.insert(2);
    s.insert(3);
    s.insert(4);
    s
}

fn offset(start: usize, end: usize) -> Vec<usize> {
    let mut v = Vec::new();
    for i in start..end {
        v.push(i);
    }
    v
}
