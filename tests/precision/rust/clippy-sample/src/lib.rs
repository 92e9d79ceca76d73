//! Ordinary code written to meet clippy's `ptr_arg`, `box_collection`, `useless_format`,
//! `needless_collect` and `assigning_clones` in their usual forms.
#![allow(dead_code, unused_variables)]

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::path::PathBuf;

// ---- ptr_arg
fn has_items(v: &Vec<String>) -> bool {
    v.is_empty()
}

fn path_text(p: &PathBuf) -> Option<&str> {
    p.to_str()
}

fn char_count(s: &String) -> usize {
    s.chars().count()
}

pub fn first_byte(v: &Vec<u8>) -> u8 {
    v[0]
}

fn zero_first(v: &mut Vec<u32>) {
    v[0] = 0;
}

fn joined(parts: &Vec<&str>) -> String {
    parts.join(",")
}

fn total_len(names: &Vec<String>) -> usize {
    names.iter().map(|n| n.len()).sum()
}

pub trait Named {
    fn set_name(&mut self, name: &String);
}

struct Person {
    name: String,
}

impl Named for Person {
    fn set_name(&mut self, name: &String) {
        self.name.clone_from(name);
    }
}

fn starts(s: &String, prefix: &str) -> bool {
    s.starts_with(prefix)
}

// ---- box_collection
struct Holder {
    items: Box<Vec<u32>>,
    label: Box<String>,
}

fn boxed_map(m: Box<HashMap<u32, u32>>) -> usize {
    m.len()
}

type Boxed = Box<BTreeMap<u8, u8>>;

pub struct Public {
    pub queue: Box<VecDeque<u8>>,
}

// ---- useless_format
fn greeting() -> String {
    format!("hello")
}

fn echo(s: &str) -> String {
    format!("{}", s)
}

fn echo_owned(s: String) -> String {
    format!("{s}")
}

fn echo_literal() -> String {
    format!("{}", "literal")
}

fn number(n: u32) -> String {
    format!("{}", n)
}

// ---- needless_collect
fn count_big(v: &[u32]) -> usize {
    v.iter().filter(|x| **x > 10).collect::<Vec<_>>().len()
}

fn none_big(v: &[u32]) -> bool {
    v.iter().filter(|x| **x > 10).collect::<Vec<_>>().is_empty()
}

fn has_seven(v: &[u32]) -> bool {
    v.iter().map(|x| x + 1).collect::<Vec<_>>().contains(&7)
}

fn count_local(v: &[u32]) -> usize {
    let big: Vec<&u32> = v.iter().filter(|x| **x > 10).collect();
    big.len()
}

fn sum_local(v: &[u32]) -> u32 {
    let doubled: Vec<u32> = v.iter().map(|x| x * 2).collect();
    doubled.into_iter().sum()
}

fn distinct(v: &[u32]) -> usize {
    v.iter().collect::<HashSet<_>>().len()
}

// ---- assigning_clones
struct Cache {
    key: String,
    values: Vec<u32>,
    seen: HashSet<u32>,
}

impl Cache {
    fn refresh(&mut self, key: &String, values: &Vec<u32>, seen: &HashSet<u32>) {
        self.key = key.clone();
        self.values = values.clone();
        self.seen = seen.clone();
    }

    fn rename(&mut self, key: &str) {
        self.key = key.to_owned();
    }
}

fn copy_into(dst: &mut String, src: &str, n: usize) {
    for _ in 0..n {
        *dst = src.to_owned();
    }
}

#[derive(Clone)]
struct Plain {
    a: u32,
}

fn copy_plain(dst: &mut Plain, src: &Plain) {
    *dst = src.clone();
}
