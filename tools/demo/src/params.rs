//! Demo deployment parameters: `tools/demo/demo.toml` plus the values only known at run
//! time (round length, genesis, cube-sim's manufacturer key, pool cooldown).

use std::path::Path;

use base64::Engine;
use deploy::DeployParams;

use crate::DemoError;

/// Values the demo sets at deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overrides {
    /// Round length in seconds (the relayer requires at least 60).
    pub round_secs: u64,
    /// Start of round 0 (unix seconds).
    pub genesis_time: u64,
    /// Halving cooldown of the pool in seconds.
    pub cooldown_secs: u64,
    /// ed25519 public key of the manufacturer that certified the simulated Cubes.
    pub manufacturer_key: Option<[u8; 32]>,
}

/// Loads `path` and applies `o`.
pub fn load(path: &Path, o: &Overrides) -> Result<DeployParams, DemoError> {
    let mut params = DeployParams::load(path)?;
    apply(&mut params, o)?;
    Ok(params)
}

fn int(v: u64, what: &str) -> Result<toml::Value, DemoError> {
    i64::try_from(v)
        .map(toml::Value::Integer)
        .map_err(|_| DemoError::format(what, format!("{v} does not fit a TOML integer")))
}

/// Applies `o` to `params`.
pub fn apply(params: &mut DeployParams, o: &Overrides) -> Result<(), DemoError> {
    params.reward_pool.insert(
        "halving_cooldown".into(),
        int(o.cooldown_secs, "halving_cooldown")?,
    );
    let round = params
        .mining_round
        .as_mut()
        .ok_or_else(|| DemoError::format("demo parameters", "[mining_round] is missing"))?;
    round.insert(
        "round_duration".into(),
        int(o.round_secs, "round_duration")?,
    );
    round.insert("genesis_time".into(), int(o.genesis_time, "genesis_time")?);
    if let Some(key) = o.manufacturer_key {
        let b64 = base64::engine::general_purpose::STANDARD.encode(key);
        round.insert(
            "manufacturer_keys".into(),
            toml::Value::Array(vec![toml::Value::String(b64)]),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_reach_the_instantiate_messages() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("demo.toml");
        let o = Overrides {
            round_secs: 90,
            genesis_time: 1_800_000_000,
            cooldown_secs: 7,
            manufacturer_key: Some([3u8; 32]),
        };
        let p = load(&path, &o).unwrap();
        // The tokens' amounts are shown with the decimals of their tables.
        let units = crate::chain::Units::from_params(&p).unwrap();
        assert_eq!(
            units.of(crate::claims::Token::Ect).tokens(505_112_474),
            "505.112474 ECT"
        );
        assert_eq!(units.tok.tokens(1_500_000_000_000), "1,500,000 TOK");
        assert_eq!(
            p.reward_pool.get("halving_cooldown"),
            Some(&toml::Value::Integer(7))
        );
        let round = p.mining_round.as_ref().unwrap();
        assert_eq!(round.get("round_duration"), Some(&toml::Value::Integer(90)));
        assert_eq!(
            round.get("genesis_time"),
            Some(&toml::Value::Integer(1_800_000_000))
        );
        let keys = round.get("manufacturer_keys").unwrap().as_array().unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(
            base64::engine::general_purpose::STANDARD
                .decode(keys[0].as_str().unwrap())
                .unwrap(),
            vec![3u8; 32]
        );
        // The typed messages accept the result (the deploy library checks this again).
        let json = serde_json::to_value(round).unwrap();
        let mut json = json;
        let names = [
            ("ect", "wasm1ect"),
            ("oracle1", "wasm1o1"),
            ("oracle2", "wasm1o2"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        deploy::resolve_placeholders(&mut json, &names).unwrap();
        let msg: cube_types::mining_round::InstantiateMsg = serde_json::from_value(json).unwrap();
        assert_eq!(msg.round_duration, Some(90));
        assert_eq!(msg.genesis_time, Some(1_800_000_000));
        assert_eq!(msg.quorum, 2);
    }
}
