//! Functions other modules call: a rule analysing one file cannot see their signatures.

pub fn takes_str(s: &str) -> usize {
    s.len()
}

pub fn takes_slice<T>(items: &[T]) -> usize {
    items.len()
}
