use std::path::PathBuf;

struct Config {
    name: String,
    tags: Vec<String>,
    dir: PathBuf,
    retries: u32,
}

impl Config {
    fn update(&mut self, other: &Config) {
        self.name = other.name.clone();
        self.tags = other.tags.clone();
        self.dir = other.dir.clone();
    }

    fn rename(&mut self, to: &str) {
        self.name = to.to_owned();
    }

    fn reset(&mut self) {
        self.name = "default".to_string();
    }

    fn from_string(&mut self, s: &String) {
        self.name = s.to_string();
    }
}

fn refill(buf: &mut String, src: &String, out: &mut Vec<u8>, bytes: &[u8]) {
    *buf = src.clone();
    *out = bytes.to_owned();
}

fn generic<T: Clone>(slot: &mut Vec<T>, from: &Vec<T>) {
    *slot = from.clone();
}

fn in_loop(lines: &[String]) -> usize {
    let mut current = String::new();
    let mut total = 0;
    for line in lines {
        current = line.clone();
        total += current.len();
    }
    total
}
