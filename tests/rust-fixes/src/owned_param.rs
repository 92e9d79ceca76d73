fn count(s: String, v: Vec<u8>) -> usize {
    println!("{s}");
    s.len() + v.iter().count() + s.as_str().len()
}

fn greet(name: String) -> String {
    format!("hello {}", name)
}

struct Repo;

impl Repo {
    fn find(&self, key: String) -> bool {
        key.starts_with('k') && key == "key"
    }
}

fn callers(r: &Repo) -> usize {
    let a = String::from("a");
    let n = count(a.clone(), vec![1, 2]);
    let g = greet("bob".to_string());
    let f = r.find(format!("k{}", n));
    let h = greet(a);
    n + g.len() + usize::from(f) + h.len()
}

fn total<T: Copy + Into<u64>>(items: Vec<T>) -> u64 {
    items.iter().map(|x| (*x).into()).sum()
}

fn sum_all() -> u64 {
    total(vec![1u32, 2, 3])
}
