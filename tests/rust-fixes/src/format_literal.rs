fn fires(x: u32, name: &str, items: &[u32]) -> Vec<String> {
    let mut out = Vec::new();
    out.push(format!("constant text"));
    out.push(format!("{}", x));
    out.push(format!("{name}"));
    out.push(format!("{0}", x + 1));
    out.push(format!("braces {{escaped}}"));
    out.push(format!(r"raw text"));
    out.push(format!("{}", x,));
    out.push(format!("{}", name.len()));
    for i in items {
        out.push(format!("{}", i.count_ones()));
    }
    let s = std::format!("{}", -(x as i64));
    out.push(s);
    out
}
