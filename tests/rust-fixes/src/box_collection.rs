use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

struct Doc {
    lines: Box<Vec<String>>,
}

fn doc() -> usize {
    let mut d = Doc { lines: Box::new(Vec::new()) };
    d.lines = Box::new(vec!["a".to_string()]);
    d.lines.push("b".to_string());
    (*d.lines).len()
}

fn local() -> usize {
    let b: Box<String> = Box::new(String::from("x"));
    let r: &String = &*b;
    r.len()
}

fn ids(n: u32) -> Box<Vec<u32>> {
    if n == 0 {
        return Box::new(Vec::new());
    }
    Box::new((0..n).collect())
}

fn use_ids() -> usize {
    ids(3).len()
}

pub struct Index<K, V> {
    pub by_key: Box<HashMap<K, V>>,
    pub seen: Option<Box<HashSet<K>>>,
    pub queue: Box<VecDeque<V>>,
}

pub fn sorted(m: Box<BTreeMap<u32, u32>>) -> usize {
    m.len()
}
