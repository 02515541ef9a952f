//! A client of the kubelet's pod-resources API, v1 `List` only: which
//! devices each running container holds. gRPC over the kubelet's unix socket
//! (`/var/lib/kubelet/pod-resources/kubelet.sock`), by tonic's client; the
//! messages are declared here by hand with prost's derive, so the build needs
//! no protoc.
//!
//! Field numbers from the kubelet's `api.proto`
//! (`staging/src/k8s.io/kubelet/pkg/apis/podresources/v1/api.proto`,
//! package `v1`, service `PodResourcesLister`):
//!
//! ```text
//! message ListPodResourcesRequest {}
//! message ListPodResourcesResponse { repeated PodResources pod_resources = 1; }
//! message PodResources { string name = 1; string namespace = 2;
//!                        repeated ContainerResources containers = 3; }
//! message ContainerResources { string name = 1; repeated ContainerDevices devices = 2;
//!                              /* cpu_ids = 3, memory = 4, dynamic_resources = 5 */ }
//! message ContainerDevices { string resource_name = 1; repeated string device_ids = 2;
//!                            /* topology = 3 */ }
//! ```
//!
//! Only the fields gpuctl reads are declared: prost skips the others (CPU
//! ids, memory, topology, DRA claims), as protobuf allows.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The gRPC method: `/<package>.<service>/<method>`.
pub const LIST_PATH: &str = "/v1.PodResourcesLister/List";

/// `ListPodResourcesRequest`: empty.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListPodResourcesRequest {}

/// `ListPodResourcesResponse`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListPodResourcesResponse {
    #[prost(message, repeated, tag = "1")]
    pub pod_resources: Vec<PodResources>,
}

/// `PodResources`: one pod.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PodResources {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub namespace: String,
    #[prost(message, repeated, tag = "3")]
    pub containers: Vec<ContainerResources>,
}

/// `ContainerResources`: one container of the pod.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerResources {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "2")]
    pub devices: Vec<ContainerDevices>,
}

/// `ContainerDevices`: the devices of one resource the container holds.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerDevices {
    #[prost(string, tag = "1")]
    pub resource_name: String,
    #[prost(string, repeated, tag = "2")]
    pub device_ids: Vec<String>,
}

/// A runtime for the client: one thread (the caller's), I/O and timers.
pub fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .map_err(|e| format!("cannot start the gRPC client: {e}"))
}

/// Calls `List` on the kubelet at `socket`, answered within `timeout` or an
/// error (one line, for the operator).
pub fn list(
    rt: &tokio::runtime::Runtime,
    socket: &Path,
    timeout: Duration,
) -> Result<ListPodResourcesResponse, String> {
    // As dcgm-exporter does: a missing socket says so plainly (the usual
    // cause: not on a Kubernetes node, or the directory is not mounted).
    // Only "not found" is told here: any other failure (permission denied
    // on the directory) is left to the connection, which names it.
    if std::fs::symlink_metadata(socket).is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound) {
        return Err("no such socket (is /var/lib/kubelet/pod-resources mounted?)".to_string());
    }
    rt.block_on(async {
        match tokio::time::timeout(timeout, list_async(socket.to_path_buf())).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "the kubelet did not answer within {} ms",
                timeout.as_millis()
            )),
        }
    })
}

async fn list_async(socket: PathBuf) -> Result<ListPodResourcesResponse, String> {
    // The URI only names the HTTP/2 authority; the connector ignores it and
    // dials the socket.
    let endpoint = tonic::transport::Endpoint::from_static("http://localhost");
    let channel = endpoint
        .connect_with_connector(tower::service_fn(move |_: http::Uri| {
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(&socket).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(stream))
            }
        }))
        .await
        .map_err(|e| format!("cannot connect: {}", chain(&e)))?;
    let mut client = tonic::client::Grpc::new(channel);
    client
        .ready()
        .await
        .map_err(|e| format!("cannot connect: {}", chain(&e)))?;
    let response = client
        .unary(
            tonic::Request::new(ListPodResourcesRequest {}),
            http::uri::PathAndQuery::from_static(LIST_PATH),
            tonic_prost::ProstCodec::default(),
        )
        .await
        .map_err(|s| format!("List failed: {:?}: {}", s.code(), s.message()))?;
    Ok(response.into_inner())
}

/// An error and its sources on one line ("transport error" alone says
/// nothing: the cause is in the source chain).
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message;

    /// Protobuf wire bytes built by hand (tag = field << 3 | wire type 2),
    /// so a wrong field number in the declarations above fails here.
    fn field(number: u8, body: &[u8]) -> Vec<u8> {
        let mut out = vec![(number << 3) | 2, u8::try_from(body.len()).unwrap()];
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn decodes_the_kubelet_wire_format_by_field_number() {
        // ContainerDevices { resource_name = 1, device_ids = 2 (twice),
        // topology = 3 (not declared: skipped) }
        let devices = [
            field(1, b"nvidia.com/gpu"),
            field(2, b"GPU-a"),
            field(2, b"GPU-b"),
            field(3, &field(1, &[0x08, 0x01])),
        ]
        .concat();
        // ContainerResources { name = 1, devices = 2, cpu_ids = 3 (packed
        // varints: skipped) }
        let container = [field(1, b"train"), field(2, &devices), field(3, &[2, 3])].concat();
        // PodResources { name = 1, namespace = 2, containers = 3 }
        let pod = [field(1, b"job-0"), field(2, b"ml"), field(3, &container)].concat();
        let response = field(1, &pod);
        let decoded = ListPodResourcesResponse::decode(response.as_slice()).unwrap();
        assert_eq!(
            decoded,
            ListPodResourcesResponse {
                pod_resources: vec![PodResources {
                    name: "job-0".into(),
                    namespace: "ml".into(),
                    containers: vec![ContainerResources {
                        name: "train".into(),
                        devices: vec![ContainerDevices {
                            resource_name: "nvidia.com/gpu".into(),
                            device_ids: vec!["GPU-a".into(), "GPU-b".into()],
                        }],
                    }],
                }],
            }
        );
    }

    #[test]
    fn a_missing_socket_is_one_plain_error_without_a_connection_attempt() {
        let rt = runtime().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let err = list(
            &rt,
            &dir.path().join("kubelet.sock"),
            Duration::from_secs(1),
        )
        .unwrap_err();
        assert!(err.starts_with("no such socket"), "{err}");
    }

    #[test]
    fn a_socket_nobody_answers_on_is_a_connection_error() {
        let rt = runtime().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubelet.sock");
        // Bound, then closed: the file stays, connecting is refused.
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        let err = list(&rt, &path, Duration::from_secs(2)).unwrap_err();
        assert!(err.starts_with("cannot connect"), "{err}");
        assert!(err.to_lowercase().contains("refused"), "{err}");
    }
}
