use std::collections::HashMap;
use std::fmt::Write;

fn longest_line(rows: &[Vec<u32>]) -> usize {
    let mut best = 0;
    for row in rows {
        let mut line = String::new();
        for x in row {
            write!(line, "{x} ").unwrap();
        }
        best = best.max(line.len());
    }
    best
}

fn histogram(words: &[&str], rounds: usize) -> usize {
    let mut total = 0;
    let mut i = 0;
    while i < rounds {
        let mut counts = HashMap::new();
        for w in words {
            *counts.entry(*w).or_insert(0) += 1;
        }
        total += counts.len();
        i += 1;
    }
    total
}

fn sized(rows: &[Vec<u32>]) -> u32 {
    let mut sum = 0;
    for row in rows {
        let mut doubled = Vec::with_capacity(row.len());
        doubled.extend(row.iter().map(|x| x * 2));
        sum += doubled.iter().sum::<u32>();
    }
    sum
}

fn lines(text: &str) -> usize {
    let mut n = 0;
    for line in text.lines() {
        let mut words = Vec::new();
        words.extend(line.split(' '));
        n += words.len();
    }
    n
}

fn per_item(items: &[u32]) {
    items.iter().for_each(|x| {
        let mut s = String::new();
        s.push_str(&x.to_string());
        println!("{s}");
    });
}
