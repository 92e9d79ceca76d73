// No fix is offered: these must simply still compile.
struct User {
    name: String,
    roles: Vec<String>,
}

fn names(users: &[User], prefix: &str) -> usize {
    let mut total = 0;
    for u in users {
        let name = u.name.clone();
        let p = prefix.to_owned();
        let roles = u.roles.to_vec();
        total += name.len() + p.len() + roles.len();
    }
    users.iter().for_each(|u| {
        let r = u.roles.clone();
        total += r.len();
    });
    total
}

fn collect_names(users: &[User]) -> Vec<String> {
    let mut out = Vec::new();
    for u in users {
        out.push(u.name.clone());
    }
    out
}
