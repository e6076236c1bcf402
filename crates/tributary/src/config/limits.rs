//! The rate-limit settings (issue 18) from the layered configuration, with the defaults of
//! `state::limits` where none is given.

use super::FileConfig;
use crate::state::limits::{LimitSettings, Rate};

/// Takes the limits' keys out of `s`, checked.
pub(super) fn settings(s: &mut FileConfig) -> Result<LimitSettings, String> {
    let d = LimitSettings::default();
    let per_sec = s
        .rate_limit_per_second
        .take()
        .unwrap_or(d.per_credential.per_sec);
    let ip_per_sec = s
        .rate_limit_ip_per_second
        .take()
        .unwrap_or(d.per_ip.per_sec);
    let burst = s.rate_limit_burst.take().unwrap_or(d.per_credential.burst);
    if !(per_sec > 0.0 && ip_per_sec > 0.0 && per_sec.is_finite() && ip_per_sec.is_finite()) {
        return Err(
            "--rate-limit-per-second and --rate-limit-ip-per-second must be above 0".into(),
        );
    }
    if burst == 0 {
        return Err("--rate-limit-burst must be at least 1".into());
    }
    let per_minute = |v: Option<u32>, default: Rate| v.map_or(default, Rate::per_minute);
    Ok(LimitSettings {
        enabled: s.rate_limits.take().unwrap_or(true),
        per_credential: Rate { burst, per_sec },
        per_ip: Rate {
            burst,
            per_sec: ip_per_sec,
        },
        oauth_token: per_minute(s.oauth_token_per_minute.take(), d.oauth_token),
        password_account: per_minute(s.password_attempts_per_minute.take(), d.password_account),
        password_ip: per_minute(s.password_attempts_per_minute_per_ip.take(), d.password_ip),
        max_keys: d.max_keys,
    })
}

#[cfg(test)]
mod tests {
    use super::super::{Config, Overrides};
    use crate::state::limits::LimitSettings;

    #[test]
    fn limits_come_from_the_file_or_flags_and_can_be_turned_off() {
        assert_eq!(
            Config::load(Overrides::default()).unwrap().limits,
            LimitSettings::default()
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.toml");
        std::fs::write(
            &path,
            "rate_limits = false\nrate_limit_burst = 7\npassword_attempts_per_minute = 3\n",
        )
        .unwrap();
        let c = Config::load(Overrides {
            file: Some(path.clone()),
            rate_limit_burst: Some(9),
            ..Default::default()
        })
        .unwrap();
        assert!(!c.limits.enabled);
        assert_eq!(c.limits.per_credential.burst, 9);
        assert_eq!(c.limits.password_account.burst, 3);
        assert!(Config::load(Overrides {
            rate_limit_per_second: Some(0.0),
            ..Default::default()
        })
        .is_err());
    }
}
