//! Which nodes run a job: Dkron's tag selector, as docs/operating.md ("Where jobs run")
//! describes it.
//!
//! A job's `tags` map is a conjunction: every `key: "value"` pair must equal a tag of the node.
//! A value may end in `:count` (`"web:2"`); the lowest count over all pairs is how many of the
//! matching nodes run each tick. Only alive nodes of the leader's region are candidates; no
//! tags means every alive node of the region, servers included.
//!
//! When fewer nodes are wanted than match, the pick rotates with the tick, so successive ticks
//! spread over the candidates instead of landing on the same ones; the choice is a pure
//! function of the job, the tick and the candidate set.

use std::collections::BTreeMap;

/// One parsed tag value: `value` or `value:count`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRule {
    pub value: String,
    pub count: Option<usize>,
}

impl TagRule {
    /// Parses `value[:count]`. A suffix after the last `:` that is all digits is the count
    /// (it must be at least 1); any other suffix is part of the value.
    pub fn parse(text: &str) -> Result<TagRule, String> {
        if let Some((value, count)) = text.rsplit_once(':')
            && !count.is_empty()
            && count.bytes().all(|b| b.is_ascii_digit())
        {
            let n: usize = count
                .parse()
                .map_err(|_| format!("{text:?}: count {count} is too large"))?;
            if n == 0 {
                return Err(format!("{text:?}: the count after ':' must be at least 1"));
            }
            return Ok(TagRule {
                value: value.to_string(),
                count: Some(n),
            });
        }
        Ok(TagRule {
            value: text.to_string(),
            count: None,
        })
    }
}

/// What targeting needs to know about a node.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub name: String,
    pub region: String,
    pub alive: bool,
    pub tags: BTreeMap<String, String>,
}

/// The nodes that run `job_name`'s tick `tick_nanos`, sorted by name; an error says why none.
pub fn select(
    job_name: &str,
    job_tags: &BTreeMap<String, String>,
    region: &str,
    tick_nanos: i64,
    nodes: &[Candidate],
) -> Result<Vec<String>, String> {
    let mut rules = Vec::with_capacity(job_tags.len());
    let mut count: Option<usize> = None;
    for (key, text) in job_tags {
        let rule = TagRule::parse(text).map_err(|e| format!("tag {key}: {e}"))?;
        if let Some(n) = rule.count {
            count = Some(count.map_or(n, |c| c.min(n)));
        }
        rules.push((key, rule.value));
    }
    let mut matching: Vec<&str> = nodes
        .iter()
        .filter(|n| n.alive && n.region == region)
        .filter(|n| {
            rules
                .iter()
                .all(|(k, v)| n.tags.get(k.as_str()).is_some_and(|t| t == v))
        })
        .map(|n| n.name.as_str())
        .collect();
    matching.sort_unstable();
    matching.dedup();
    if matching.is_empty() {
        return Err(if job_tags.is_empty() {
            format!("no alive node in region {region:?}")
        } else {
            format!("no alive node in region {region:?} matches the job's tags {job_tags:?}")
        });
    }
    let wanted = count.unwrap_or(matching.len()).min(matching.len());
    if wanted == matching.len() {
        return Ok(matching.into_iter().map(String::from).collect());
    }
    // Rotate the start with the tick so consecutive ticks use different nodes.
    let start = (spread_hash(job_name, tick_nanos) % matching.len() as u64) as usize;
    let mut chosen: Vec<String> = (0..wanted)
        .map(|i| matching[(start + i) % matching.len()].to_string())
        .collect();
    chosen.sort_unstable();
    Ok(chosen)
}

/// FNV-1a over the job name, plus the tick's sequence number so that successive ticks of one
/// job advance by one node each time (an even spread), from a job-dependent origin.
fn spread_hash(job_name: &str, tick_nanos: i64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in job_name.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // Ticks are at least a second apart in practice: whole seconds make neighbours differ.
    let seconds = tick_nanos.div_euclid(1_000_000_000) as u64;
    h.wrapping_add(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, tags: &[(&str, &str)]) -> Candidate {
        Candidate {
            name: name.into(),
            region: "global".into(),
            alive: true,
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn rules_parse_counts_and_refuse_zero() {
        assert_eq!(
            TagRule::parse("web:2").unwrap(),
            TagRule {
                value: "web".into(),
                count: Some(2)
            }
        );
        assert_eq!(TagRule::parse("web").unwrap().count, None);
        assert_eq!(TagRule::parse("a:b").unwrap().value, "a:b");
        assert!(TagRule::parse("web:0").unwrap_err().contains("at least 1"));
        assert!(
            TagRule::parse("web:99999999999999999999999")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn all_pairs_must_match_alive_nodes_of_the_region() {
        let mut dead = node("d", &[("role", "web")]);
        dead.alive = false;
        let mut far = node("f", &[("role", "web")]);
        far.region = "eu".into();
        let nodes = vec![
            node("a", &[("role", "web"), ("dc", "1")]),
            node("b", &[("role", "web")]),
            node("c", &[("role", "db"), ("dc", "1")]),
            dead,
            far,
        ];
        let pick = |t: &[(&str, &str)]| select("j", &tags(t), "global", 0, &nodes);
        assert_eq!(pick(&[("role", "web")]).unwrap(), vec!["a", "b"]);
        assert_eq!(pick(&[("role", "web"), ("dc", "1")]).unwrap(), vec!["a"]);
        assert_eq!(pick(&[]).unwrap(), vec!["a", "b", "c"]);
        let e = pick(&[("role", "cache")]).unwrap_err();
        assert!(e.contains("matches the job's tags"), "{e}");
    }

    #[test]
    fn the_lowest_count_wins_and_picks_spread_over_ticks() {
        let nodes = vec![
            node("a", &[("pool", "w")]),
            node("b", &[("pool", "w")]),
            node("c", &[("pool", "w")]),
        ];
        let t = tags(&[("pool", "w:2")]);
        let mut seen = BTreeMap::new();
        for second in 0..30i64 {
            let picked = select("job", &t, "global", second * 1_000_000_000, &nodes).unwrap();
            assert_eq!(picked.len(), 2);
            for p in picked {
                *seen.entry(p).or_insert(0) += 1;
            }
        }
        // 60 picks over 3 nodes, rotating: exactly 20 each.
        assert_eq!(seen.values().copied().collect::<Vec<_>>(), vec![20, 20, 20]);
        let t = tags(&[("pool", "w:2"), ("x", "")]);
        let nodes2: Vec<_> = nodes
            .iter()
            .map(|n| {
                let mut n = n.clone();
                n.tags.insert("x".into(), String::new());
                n
            })
            .collect();
        assert_eq!(select("j", &t, "global", 0, &nodes2).unwrap().len(), 2);
        let t = tags(&[("pool", "w:5")]);
        assert_eq!(select("j", &t, "global", 0, &nodes).unwrap().len(), 3);
        let t = tags(&[("pool", "w:5"), ("pool2", "w:1")]);
        assert!(select("j", &t, "global", 0, &nodes).is_err());
    }
}
