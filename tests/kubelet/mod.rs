//! A kubelet stand-in for `monitor --pod-resources`: the pod-resources API's
//! v1 `List`, served by tonic's gRPC server on a unix socket in a temporary
//! directory, answering with the pods a test gives it.
//!
//! The messages are declared here from the kubelet's `api.proto`
//! (`staging/src/k8s.io/kubelet/pkg/apis/podresources/v1/api.proto`) on
//! their own, not borrowed from gpuctl, and with fields gpuctl does not read
//! (a container's `cpu_ids` = 3, a device's `topology` = 3), which its client
//! must skip.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListPodResourcesRequest {}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ListPodResourcesResponse {
    #[prost(message, repeated, tag = "1")]
    pub pod_resources: Vec<PodResources>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct PodResources {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub namespace: String,
    #[prost(message, repeated, tag = "3")]
    pub containers: Vec<ContainerResources>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerResources {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(message, repeated, tag = "2")]
    pub devices: Vec<ContainerDevices>,
    #[prost(int64, repeated, tag = "3")]
    pub cpu_ids: Vec<i64>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct ContainerDevices {
    #[prost(string, tag = "1")]
    pub resource_name: String,
    #[prost(string, repeated, tag = "2")]
    pub device_ids: Vec<String>,
    #[prost(message, optional, tag = "3")]
    pub topology: Option<TopologyInfo>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TopologyInfo {
    #[prost(message, repeated, tag = "1")]
    pub nodes: Vec<NumaNode>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct NumaNode {
    #[prost(int64, tag = "1")]
    pub id: i64,
}

/// One container of a pod holding `ids` of `resource`, as a kubelet
/// reports it (CPUs and NUMA topology filled in, as a real one does).
pub fn pod(
    namespace: &str,
    name: &str,
    container: &str,
    resource: &str,
    ids: &[&str],
) -> PodResources {
    PodResources {
        name: name.into(),
        namespace: namespace.into(),
        containers: vec![ContainerResources {
            name: container.into(),
            devices: vec![ContainerDevices {
                resource_name: resource.into(),
                device_ids: ids.iter().map(|s| (*s).into()).collect(),
                topology: Some(TopologyInfo {
                    nodes: vec![NumaNode { id: 1 }],
                }),
            }],
            cpu_ids: vec![4, 5],
        }],
    }
}

/// The method gpuctl must call: `/<package>.<service>/<method>`.
const LIST: &str = "/v1.PodResourcesLister/List";

#[derive(Clone)]
struct List {
    answer: Arc<ListPodResourcesResponse>,
    calls: Arc<AtomicUsize>,
}

impl tonic::server::UnaryService<ListPodResourcesRequest> for List {
    type Response = ListPodResourcesResponse;
    type Future = std::future::Ready<Result<tonic::Response<Self::Response>, tonic::Status>>;

    fn call(&mut self, _: tonic::Request<ListPodResourcesRequest>) -> Self::Future {
        self.calls.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(tonic::Response::new((*self.answer).clone())))
    }
}

/// A running stand-in; it serves until the test process ends.
pub struct Kubelet {
    dir: tempfile::TempDir,
    socket: PathBuf,
    calls: Arc<AtomicUsize>,
}

impl Kubelet {
    /// Serves `List` answering `pods` on `<tempdir>/kubelet.sock`; the socket
    /// is listening when this returns.
    pub fn start(pods: Vec<PodResources>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("kubelet.sock");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        listener.set_nonblocking(true).unwrap();
        let calls = Arc::new(AtomicUsize::new(0));
        let list = List {
            answer: Arc::new(ListPodResourcesResponse {
                pod_resources: pods,
            }),
            calls: calls.clone(),
        };
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::UnixListener::from_std(listener).unwrap();
                let incoming = tokio_stream::wrappers::UnixListenerStream::new(listener);
                let service = tower::service_fn(move |req: http::Request<tonic::body::Body>| {
                    let list = list.clone();
                    async move {
                        if req.uri().path() != LIST {
                            let status = tonic::Status::unimplemented(req.uri().path().to_string());
                            return Ok::<_, std::convert::Infallible>(status.into_http());
                        }
                        let codec = tonic_prost::ProstCodec::<
                            ListPodResourcesResponse,
                            ListPodResourcesRequest,
                        >::default();
                        Ok(tonic::server::Grpc::new(codec).unary(list, req).await)
                    }
                });
                tonic::transport::Server::builder()
                    .serve_with_incoming(service, incoming)
                    .await
                    .unwrap();
            });
        });
        Self { dir, socket, calls }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `List` calls answered so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

/// A socket that accepts connections and never answers: a hung kubelet.
pub fn silent_socket(dir: &Path) -> PathBuf {
    let socket = dir.join("silent.sock");
    let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    socket
}
