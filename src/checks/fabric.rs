//! The NVSwitch fabric check (`diag`): is the GPU registered with the
//! fabric manager, and did the registration succeed.

use super::{remedy, unreadable};
use crate::device::types::{FabricInfo, Reading};
use crate::report::{Check, CheckStatus};

pub const NAME: &str = crate::model::checks::FABRIC;

/// PASS registered successfully; FAIL registration failed or not started;
/// WARN still in progress; SKIP no fabric (not an NVSwitch system).
pub fn fabric(reading: &Reading<FabricInfo>) -> Check {
    let info = match reading.as_result() {
        Ok(info) => info,
        Err(crate::device::QueryError::NotSupported) => {
            return Check::new(
                NAME,
                CheckStatus::Skip,
                "no NVSwitch fabric on this GPU (or the driver does not report it)",
            )
        }
        Err(e) => return unreadable(NAME, "fabric state", e),
    };
    let value = |c: Check| c.value(info.state.clone(), None);
    match (info.state.as_str(), info.status.as_deref()) {
        ("completed", Some("success")) => value(Check::new(
            NAME,
            CheckStatus::Pass,
            format!(
                "registered with the fabric manager (clique {})",
                info.clique_id
                    .map_or_else(|| "unknown".to_string(), |c| c.to_string())
            ),
        )),
        ("completed", status) => value(
            Check::new(
                NAME,
                CheckStatus::Fail,
                format!(
                    "fabric registration failed: {}",
                    status.unwrap_or("no status given")
                ),
            )
            .remedy(remedy::FABRIC),
        ),
        ("in_progress", _) => value(
            Check::new(
                NAME,
                CheckStatus::Warn,
                "fabric registration still in progress: NVLink peers not usable yet",
            )
            .remedy(remedy::FABRIC),
        ),
        (state, _) => value(
            Check::new(
                NAME,
                CheckStatus::Fail,
                format!("fabric registration {state}: NVLink peers unusable"),
            )
            .remedy(remedy::FABRIC),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::QueryError;

    fn info(state: &str, status: Option<&str>) -> Reading<FabricInfo> {
        Reading::Value(FabricInfo {
            state: state.into(),
            status: status.map(Into::into),
            clique_id: Some(1),
            cluster_uuid: None,
        })
    }

    #[test]
    fn each_state_has_its_verdict() {
        assert_eq!(
            fabric(&info("completed", Some("success"))).status,
            CheckStatus::Pass
        );
        assert_eq!(
            fabric(&info("completed", Some("Unknown"))).status,
            CheckStatus::Fail
        );
        assert_eq!(fabric(&info("not_started", None)).status, CheckStatus::Fail);
        assert_eq!(fabric(&info("in_progress", None)).status, CheckStatus::Warn);
        assert_eq!(fabric(&Reading::default()).status, CheckStatus::Skip);
        assert_eq!(
            fabric(&Reading::err(QueryError::TimedOut {
                call: "fabric_info".into(),
                after_ms: 5
            }))
            .status,
            CheckStatus::Fail
        );
    }
}
