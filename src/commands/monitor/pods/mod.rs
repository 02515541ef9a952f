//! `monitor --pod-resources[=SOCKET]` (issue 23): `pod`, `namespace` and
//! `container` labels on each GPU's metrics, naming the container the
//! kubelet gave the GPU to, as dcgm-exporter does.
//!
//! The kubelet is asked (v1 `List`, [`kubelet`]) by a thread of its own once
//! per interval, so a slow or hung kubelet never delays a sample; each round
//! takes its latest answer. The first answer is awaited (at most
//! [`list_timeout`] and half a second), so even `-c 1` carries the labels.
//! A failed answer drops the labels (the metrics go on without them: a stale
//! attribution would blame the wrong pod) and is told once on stderr and as
//! a JSON Lines event, and again when answers come back.
//!
//! What dcgm-exporter does, and gpuctl with it
//! (`internal/pkg/transformation/kubernetes.go`, `PodMapper`):
//! - resources `nvidia.com/gpu` and `nvidia.com/mig-*`; others are ignored;
//! - device ids are GPU UUIDs, or MIG instance UUIDs (mapped to their GPU),
//!   `GPU-...::N` replicas of a time-sliced GPU (the part before `::`);
//! - labels `pod`, `namespace`, `container` in both metric-name sets, on
//!   every per-GPU series; a GPU no container holds gets none (absent, which
//!   Prometheus treats as empty).
//!
//! gpuctl's series are per physical GPU, so a GPU held by several
//! containers (MIG instances, time-slicing) gets each label's values joined
//! by commas, in the same order (sorted by namespace, pod, container), rather
//! than one holder picked at random.

mod kubelet;

use super::MonitorOutput;
use crate::device::NvmlApi;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// Where the kubelet serves the pod-resources API.
pub use crate::model::monitor::POD_RESOURCES_SOCKET as DEFAULT_SOCKET;
/// The option, as notices and events name it.
const OPTION: &str = "--pod-resources";
/// The NVIDIA device plugin's resources: whole GPUs, and MIG instances
/// under the mixed strategy (`nvidia.com/mig-1g.10gb`, ...).
const GPU_RESOURCE: &str = "nvidia.com/gpu";
const MIG_RESOURCE_PREFIX: &str = "nvidia.com/mig-";

pub use crate::model::monitor::parse_pod_socket as parse_socket;

/// The labels of one GPU: who holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodLabels {
    pub pod: String,
    pub namespace: String,
    pub container: String,
}

impl PodLabels {
    /// Label name and value, in dcgm-exporter's names (the same in both
    /// metric-name sets).
    pub fn pairs(&self) -> [(&'static str, &str); 3] {
        [
            ("pod", &self.pod),
            ("namespace", &self.namespace),
            ("container", &self.container),
        ]
    }
}

/// One container that holds a device: ordered namespace first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Holder {
    namespace: String,
    pod: String,
    container: String,
}

/// Device id (normalised by [`device_key`]) to the containers holding it.
type Holders = HashMap<String, BTreeSet<Holder>>;

/// The id a device is known by here: a time-sliced replica
/// (`GPU-...::3`) is its GPU; an old-style MIG id (`MIG-GPU-<uuid>/gi/ci`)
/// names its GPU; anything else (GPU or MIG UUID) is itself.
fn device_key(id: &str) -> &str {
    let id = id.split_once("::").map_or(id, |(gpu, _)| gpu);
    match id.strip_prefix("MIG-") {
        Some(rest) if rest.starts_with("GPU-") => rest.split('/').next().unwrap_or(rest),
        _ => id,
    }
}

/// Which containers hold which NVIDIA devices, from a `List` answer.
fn holders(response: &kubelet::ListPodResourcesResponse) -> Holders {
    let mut out = Holders::new();
    for pod in &response.pod_resources {
        for container in &pod.containers {
            for devices in &container.devices {
                let name = devices.resource_name.as_str();
                if name != GPU_RESOURCE && !name.starts_with(MIG_RESOURCE_PREFIX) {
                    continue;
                }
                for id in &devices.device_ids {
                    out.entry(device_key(id).to_string())
                        .or_default()
                        .insert(Holder {
                            namespace: pod.namespace.clone(),
                            pod: pod.name.clone(),
                            container: container.name.clone(),
                        });
                }
            }
        }
    }
    out
}

/// The labels of a GPU known by `ids` (its UUID and its MIG instances'),
/// none when no container holds it.
fn labels_for(holders: &Holders, ids: &[String]) -> Option<PodLabels> {
    let all: BTreeSet<&Holder> = ids
        .iter()
        .filter_map(|id| holders.get(id.as_str()))
        .flatten()
        .collect();
    if all.is_empty() {
        return None;
    }
    let join = |f: fn(&Holder) -> &str| all.iter().map(|h| f(h)).collect::<Vec<_>>().join(",");
    Some(PodLabels {
        pod: join(|h| &h.pod),
        namespace: join(|h| &h.namespace),
        container: join(|h| &h.container),
    })
}

/// How long one `List` may take: the interval, within 1 to 5 s. Answers
/// come on their own thread, so only the first round ever waits for one; a
/// kubelet on a busy node may take more than a short interval (dcgm-exporter
/// allows 10 s).
fn list_timeout(interval: Duration) -> Duration {
    interval.clamp(Duration::from_secs(1), Duration::from_secs(5))
}

/// A change worth telling the operator, once (not every interval).
#[derive(Debug, PartialEq, Eq)]
pub enum Change {
    /// Answers stopped (or never came): the labels are gone.
    Failing(String),
    /// Answers came back after failing.
    Recovered,
}

impl Change {
    /// The line for stderr.
    pub fn notice(&self, socket: &Path) -> String {
        match self {
            Change::Failing(e) => format!(
                "{OPTION} {}: {e}; the metrics go on without pod labels (retrying every interval)",
                socket.display()
            ),
            Change::Recovered => format!(
                "{OPTION} {}: the kubelet answers again; pod labels are back",
                socket.display()
            ),
        }
    }

    /// The JSON Lines event.
    pub fn event(&self, socket: &Path, timestamp: &str) -> String {
        let value = match self {
            Change::Failing(e) => serde_json::json!({
                "event": "pod_resources_failing",
                "timestamp": timestamp,
                "socket": socket.display().to_string(),
                "error": e,
            }),
            Change::Recovered => serde_json::json!({
                "event": "pod_resources_recovered",
                "timestamp": timestamp,
                "socket": socket.display().to_string(),
            }),
        };
        value.to_string()
    }
}

/// `--pod-resources`: the attribution, started (see [`Attribution::start`];
/// `json`: changes are JSON Lines events too); none without the flag.
pub fn start(
    args: &crate::cli::MonitorArgs,
    json: bool,
    nvml: &dyn NvmlApi,
    gpus: impl Iterator<Item = (String, Option<u32>)>,
) -> Option<Attribution> {
    let socket = args.pod_resources.as_deref()?;
    let mut attribution = Attribution::start(socket, args.interval, nvml, gpus);
    attribution.json = json;
    Some(attribution)
}

/// One round's [`Attribution::refresh`], when the flag is on.
pub fn refresh(
    attribution: &mut Option<Attribution>,
    out: &mut dyn MonitorOutput,
    timestamp: &str,
) -> Option<String> {
    attribution.as_mut()?.refresh(out, timestamp)
}

/// The labels of a GPU, when the flag is on and a container holds it.
pub fn labels(attribution: &Option<Attribution>, uuid: &str) -> Option<PodLabels> {
    attribution.as_ref()?.labels(uuid)
}

/// The attribution of every monitored GPU, kept current by the kubelet's
/// answers.
pub struct Attribution {
    socket: PathBuf,
    answers: mpsc::Receiver<Result<Holders, String>>,
    /// How long the first round waits for the first answer.
    first_wait: Option<Duration>,
    /// Each GPU's UUID and the ids it is known by (its MIG instances').
    gpus: Vec<(String, Vec<String>)>,
    current: HashMap<String, PodLabels>,
    failing: Option<String>,
    /// Tell changes as JSON Lines events too (`--json`).
    json: bool,
}

impl Attribution {
    /// Starts asking the kubelet at `socket` every `interval`, each answer
    /// awaited at most [`list_timeout`]. `gpus`: each GPU's UUID and NVML
    /// index (none when NVML cannot read it), whose MIG instances are read
    /// once here, so a pod holding a MIG instance labels its GPU.
    pub fn start(
        socket: &Path,
        interval: Duration,
        nvml: &dyn NvmlApi,
        gpus: impl Iterator<Item = (String, Option<u32>)>,
    ) -> Self {
        let timeout = list_timeout(interval);
        let gpus = gpus
            .map(|(uuid, index)| {
                let mut ids = vec![uuid.clone()];
                if let Some(i) = index {
                    let details = nvml.details(i);
                    if let Some(instances) = details.mig_instances.value() {
                        ids.extend(instances.iter().map(|m| m.uuid.clone()));
                    }
                }
                (uuid, ids)
            })
            .collect();
        let (tx, answers) = mpsc::channel();
        let path = socket.to_path_buf();
        std::thread::spawn(move || {
            let rt = match kubelet::runtime() {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            };
            // Ends when monitor drops the receiver (the send fails).
            loop {
                let answer = kubelet::list(&rt, &path, timeout).map(|r| holders(&r));
                if tx.send(answer).is_err() {
                    return;
                }
                std::thread::sleep(interval);
            }
        });
        Self {
            socket: socket.to_path_buf(),
            answers,
            first_wait: Some(timeout + Duration::from_millis(500)),
            gpus,
            current: HashMap::new(),
            failing: None,
            json: false,
        }
    }

    /// Takes the kubelet's latest answer, if one came since the last round;
    /// tells a change once, on stderr and (`--json`) as the event it returns.
    pub fn refresh(&mut self, out: &mut dyn MonitorOutput, timestamp: &str) -> Option<String> {
        let mut latest = match self.first_wait.take() {
            Some(wait) => match self.answers.recv_timeout(wait) {
                Ok(answer) => Some(answer),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    Some(Err(format!("no answer within {} ms", wait.as_millis())))
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => None,
            },
            None => None,
        };
        loop {
            match self.answers.try_recv() {
                Ok(answer) => latest = Some(answer),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    latest = Some(Err("the pod-resources reader stopped (a gpuctl bug)".into()));
                    break;
                }
            }
        }
        let change = self.apply(latest?)?;
        out.notice(&change.notice(&self.socket));
        self.json.then(|| change.event(&self.socket, timestamp))
    }

    /// Takes one answer; returns the change it makes, if any.
    fn apply(&mut self, answer: Result<Holders, String>) -> Option<Change> {
        match answer {
            Ok(holders) => {
                self.current = self
                    .gpus
                    .iter()
                    .filter_map(|(uuid, ids)| Some((uuid.clone(), labels_for(&holders, ids)?)))
                    .collect();
                self.failing.take().map(|_| Change::Recovered)
            }
            Err(e) => {
                self.current.clear();
                let first = self.failing.is_none();
                self.failing = Some(e.clone());
                first.then_some(Change::Failing(e))
            }
        }
    }

    /// The labels of the GPU with this UUID (none: no container holds it,
    /// or the kubelet did not answer).
    pub fn labels(&self, uuid: &str) -> Option<PodLabels> {
        self.current.get(uuid).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::kubelet::{
        ContainerDevices, ContainerResources, ListPodResourcesResponse, PodResources,
    };
    use super::*;

    fn pod(ns: &str, name: &str, containers: &[(&str, &str, &[&str])]) -> PodResources {
        PodResources {
            name: name.into(),
            namespace: ns.into(),
            containers: containers
                .iter()
                .map(|(c, resource, ids)| ContainerResources {
                    name: (*c).into(),
                    devices: vec![ContainerDevices {
                        resource_name: (*resource).into(),
                        device_ids: ids.iter().map(|s| (*s).into()).collect(),
                    }],
                })
                .collect(),
        }
    }

    fn attribution(gpus: &[(&str, &[&str])]) -> Attribution {
        let (_tx, answers) = mpsc::channel();
        Attribution {
            socket: PathBuf::from("/k.sock"),
            answers,
            first_wait: None,
            gpus: gpus
                .iter()
                .map(|(u, ids)| {
                    let mut all = vec![(*u).to_string()];
                    all.extend(ids.iter().map(|s| (*s).to_string()));
                    ((*u).to_string(), all)
                })
                .collect(),
            current: HashMap::new(),
            failing: None,
            json: false,
        }
    }

    #[test]
    fn each_gpu_gets_the_container_holding_it_and_others_none() {
        let response = ListPodResourcesResponse {
            pod_resources: vec![
                pod("ml", "train-0", &[("trainer", GPU_RESOURCE, &["GPU-a"])]),
                // Not a GPU: ignored even if an id looked like one.
                pod("ml", "nic", &[("x", "rdma/hca", &["GPU-b"])]),
            ],
        };
        let mut a = attribution(&[("GPU-a", &[]), ("GPU-b", &[])]);
        assert_eq!(a.apply(Ok(holders(&response))), None);
        assert_eq!(
            a.labels("GPU-a"),
            Some(PodLabels {
                pod: "train-0".into(),
                namespace: "ml".into(),
                container: "trainer".into()
            })
        );
        assert_eq!(a.labels("GPU-b"), None);
    }

    #[test]
    fn mig_instances_and_time_sliced_replicas_label_their_gpu() {
        let response = ListPodResourcesResponse {
            pod_resources: vec![
                pod(
                    "a",
                    "p1",
                    &[("c1", "nvidia.com/mig-3g.40gb", &["MIG-1111"])],
                ),
                pod(
                    "b",
                    "p2",
                    &[("c2", "nvidia.com/mig-3g.40gb", &["MIG-2222"])],
                ),
                pod(
                    "c",
                    "p3",
                    &[("c3", GPU_RESOURCE, &["GPU-t::0", "GPU-t::1"])],
                ),
                pod("d", "p4", &[("c4", GPU_RESOURCE, &["MIG-GPU-old/1/0"])]),
            ],
        };
        let mut a = attribution(&[
            ("GPU-m", &["MIG-1111", "MIG-2222"]),
            ("GPU-t", &[]),
            ("GPU-old", &[]),
        ]);
        a.apply(Ok(holders(&response)));
        // Two holders: joined, in the same order in each label.
        assert_eq!(
            a.labels("GPU-m"),
            Some(PodLabels {
                pod: "p1,p2".into(),
                namespace: "a,b".into(),
                container: "c1,c2".into()
            })
        );
        // Two replicas held by one container: one holder.
        assert_eq!(a.labels("GPU-t").map(|l| l.pod), Some("p3".into()));
        assert_eq!(a.labels("GPU-old").map(|l| l.pod), Some("p4".into()));
    }

    #[test]
    fn a_failure_drops_the_labels_and_is_told_once_until_it_recovers() {
        let response = ListPodResourcesResponse {
            pod_resources: vec![pod("ml", "p", &[("c", GPU_RESOURCE, &["GPU-a"])])],
        };
        let mut a = attribution(&[("GPU-a", &[])]);
        a.apply(Ok(holders(&response)));
        assert!(a.labels("GPU-a").is_some());
        assert_eq!(
            a.apply(Err("down".into())),
            Some(Change::Failing("down".into()))
        );
        assert_eq!(a.labels("GPU-a"), None);
        assert_eq!(a.apply(Err("still down".into())), None);
        assert_eq!(a.apply(Ok(holders(&response))), Some(Change::Recovered));
        assert!(a.labels("GPU-a").is_some());
    }

    #[test]
    fn changes_name_the_option_and_socket() {
        let socket = Path::new("/k.sock");
        let n = Change::Failing("no such socket".into()).notice(socket);
        assert!(
            n.starts_with("--pod-resources /k.sock: no such socket"),
            "{n}"
        );
        let e: serde_json::Value =
            serde_json::from_str(&Change::Recovered.event(socket, "t")).unwrap();
        assert_eq!(e["event"], "pod_resources_recovered");
        assert_eq!(e["socket"], "/k.sock");
    }

    #[test]
    fn an_empty_socket_path_is_refused() {
        assert!(parse_socket("").unwrap_err().contains(DEFAULT_SOCKET));
        assert_eq!(parse_socket("/s").unwrap(), PathBuf::from("/s"));
    }
}
