//! `deploy/artifacts.txt`, the one list of wasm artifacts (also read by `scripts/lib.sh`'s
//! `artifact_packages`): one cargo package per line, `#` starts a comment; the artifact of a
//! package is `artifacts/<package with - as _>.wasm`.

/// The list, compiled in.
pub const LIST: &str = include_str!("../../../deploy/artifacts.txt");

/// One entry of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    /// Cargo package, e.g. `cw20-base`.
    pub package: String,
    /// File stem, e.g. `cw20_base` (also the key of [`crate::Deployment::codes`]).
    pub name: String,
}

impl Artifact {
    /// `<name>.wasm`.
    pub fn file_name(&self) -> String {
        format!("{}.wasm", self.name)
    }
}

/// Parses a list in the format of `deploy/artifacts.txt`.
pub fn parse(text: &str) -> Vec<Artifact> {
    text.lines()
        .filter_map(|line| line.split('#').next()?.split_whitespace().next())
        .map(|package| Artifact {
            package: package.to_string(),
            name: package.replace('-', "_"),
        })
        .collect()
}

/// Every artifact of `deploy/artifacts.txt`, in list order.
pub fn all() -> Vec<Artifact> {
    parse(LIST)
}

/// The entry of `package`, if listed.
pub fn find(package: &str) -> Option<Artifact> {
    all().into_iter().find(|a| a.package == package)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{CW20, MINING_ROUND, MULTISIG, REWARD_POOL, STAKE, TIMELOCK};

    #[test]
    fn parses_packages_and_skips_comments() {
        let list =
            parse("# header\n\nreward-pool   workspace # ours\n  cw20-base published\n#x y\n");
        assert_eq!(
            list,
            vec![
                Artifact {
                    package: "reward-pool".into(),
                    name: "reward_pool".into()
                },
                Artifact {
                    package: "cw20-base".into(),
                    name: "cw20_base".into()
                },
            ]
        );
        assert_eq!(list[1].file_name(), "cw20_base.wasm");
    }

    /// The deploy code knows what to do with every listed package, and every package it
    /// instantiates is listed.
    #[test]
    fn the_list_and_the_deploy_roles_agree() {
        let mut listed: Vec<String> = all().into_iter().map(|a| a.package).collect();
        listed.sort();
        let mut known = vec![CW20, MINING_ROUND, MULTISIG, REWARD_POOL, STAKE, TIMELOCK];
        known.sort_unstable();
        assert_eq!(listed, known);
    }
}
