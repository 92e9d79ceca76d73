use std::path::PathBuf;

fn shout(s: &String) -> String {
    println!("{s} {}", s.len());
    let t = s.as_str();
    s.clone() + t
}

fn sum(v: &Vec<u32>) -> u32 {
    v.iter().sum()
}

fn call(f: &Box<dyn Fn(u32) -> u32 + Send>) -> u32 {
    f(1)
}

fn exists(p: &PathBuf) -> bool {
    p.exists() && std::fs::metadata(p).is_ok()
}

fn sort_desc<T: Ord>(v: &mut Vec<T>) {
    v.sort();
    v.reverse();
}

fn forward<T: Clone>(items: &Vec<T>) -> usize {
    other::consume(items)
}

mod other {
    pub fn consume<T>(items: &[T]) -> usize {
        items.len()
    }
}

fn elsewhere(name: &String) -> usize {
    crate::helpers::takes_str(name) + crate::helpers::takes_slice(name.as_bytes())
}

fn compare(a: &String, b: &String) -> bool {
    a == b && a.starts_with(b.as_str())
}

fn chain(s: &String) -> usize {
    shout(s).len()
}

struct Store;

impl Store {
    fn key(&self, name: &String) -> usize {
        name.len()
    }
}

fn callers() -> usize {
    let s = String::from("x");
    let v = vec![1, 2];
    let mut w = vec![3, 1];
    let f: Box<dyn Fn(u32) -> u32 + Send> = Box::new(|x| x + 1);
    sort_desc(&mut w);
    shout(&s).len()
        + sum(&v) as usize
        + call(&f) as usize
        + usize::from(exists(&PathBuf::from(".")))
        + forward(&v)
        + elsewhere(&s)
        + usize::from(compare(&s, &s))
        + chain(&s)
        + Store.key(&s)
}
