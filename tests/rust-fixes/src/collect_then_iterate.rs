fn counts(v: &[u32]) -> bool {
    let n = v.iter().filter(|x| **x > 1).collect::<Vec<_>>().len();
    let empty = v.iter().map(|x| x + 1).collect::<Vec<_>>().is_empty();
    let has = v.iter().map(|x| x * 2).collect::<Vec<u32>>().contains(&4);
    let first = v.iter().map(|x| x * 5).collect::<Vec<_>>().first().copied();
    let sum: u32 = v.iter().map(|x| x * 3).collect::<Vec<_>>().into_iter().sum();
    n > 0 && empty && has && first.is_some() && sum > 0
}

fn loops(words: &[&str]) -> usize {
    let mut total = 0;
    for w in words.iter().map(|w| w.len()).collect::<Vec<_>>() {
        total += w;
    }
    let long: Vec<_> = words.iter().filter(|w| w.len() > 3).collect();
    let count = long.len();
    let upper: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    for u in upper {
        total += u.len();
    }
    let short: Vec<&&str> = words.iter().filter(|w| w.len() < 2).collect();
    if short.is_empty() {
        total += 1;
    }
    total + count
}
