//! ONNX Runtime, loaded dynamically from the library that the `onnxruntime` wheel ships, and a
//! thread-safe session wrapper.
//!
//! ort allows one environment per process, so it lives in a process-wide `OnceLock`. An
//! `ort::Session` needs `&mut self` to run; [`OnnxModel`] keeps a small pool of sessions of one
//! graph, each behind its mutex, so a search's run does not wait behind an ingest's (ONNX
//! Runtime parallelises inside each run as well).

use std::path::Path;
use std::sync::OnceLock;

use glint_types::Pool;

use ndarray::{ArrayD, ArrayViewD};
use ort::session::{builder::GraphOptimizationLevel, Session, SessionInputValue};
use ort::value::TensorRef;

use crate::checksum::verify_file;
use crate::VisionError;

static ENVIRONMENT: OnceLock<Result<ort::environment::Environment, String>> = OnceLock::new();

/// Loads `libonnxruntime` from `library` the first time it is called; later calls reuse it
/// (whatever path they pass) because a process can hold only one runtime.
pub fn init_runtime(library: &Path) -> Result<&'static ort::environment::Environment, VisionError> {
    let runtime_error = |reason: String| VisionError::Runtime {
        path: library.to_path_buf(),
        reason,
    };
    let env = ENVIRONMENT.get_or_init(|| {
        if !library.is_file() {
            return Err("file not found".to_string());
        }
        let env = ort::init_from(library)
            .map_err(|e| e.to_string())?
            .with_name("glint")
            .build()
            .map_err(|e| e.to_string())?;
        register_shared_arena(&env)?;
        Ok(env)
    });
    env.as_ref().map_err(|e| runtime_error(e.clone()))
}

/// Registers one CPU memory arena in the environment for every session to share (sessions opt
/// in with `with_env_allocators`).
///
/// Why: each session otherwise grows an arena of its own to the peak its largest input needed
/// and keeps it; with two sessions of each of six models that was ~630 MB per set of sessions
/// for 1M regions (docs/benchmarks.md). A shared arena holds what the runs in flight at once
/// need. It grows by what is asked (`arena_extend_strategy` 1) instead of doubling.
fn register_shared_arena(env: &ort::environment::Environment) -> Result<(), String> {
    use ort::sys::{OrtAllocatorType, OrtArenaCfg, OrtMemType, OrtMemoryInfo, OrtStatusPtr};
    use ort::AsPointer;
    let api = ort::api();
    let check = |status: OrtStatusPtr, what: &str| -> Result<(), String> {
        if status.0.is_null() {
            return Ok(());
        }
        // SAFETY: a non-null status from the API, read and released once.
        let message = unsafe {
            let text = std::ffi::CStr::from_ptr((api.GetErrorMessage)(status.0))
                .to_string_lossy()
                .into_owned();
            (api.ReleaseStatus)(status.0);
            text
        };
        Err(format!("cannot {what}: {message}"))
    };
    let mut info: *mut OrtMemoryInfo = std::ptr::null_mut();
    let mut config: *mut OrtArenaCfg = std::ptr::null_mut();
    let keys = [c"arena_extend_strategy".as_ptr()];
    let values = [1usize];
    // SAFETY: out-pointers are valid locals; the environment outlives the call; what is created
    // here is released here (the environment keeps its own allocator).
    unsafe {
        check(
            (api.CreateCpuMemoryInfo)(
                OrtAllocatorType::OrtArenaAllocator,
                OrtMemType::OrtMemTypeDefault,
                &mut info,
            ),
            "describe CPU memory",
        )?;
        let result = check(
            (api.CreateArenaCfgV2)(keys.as_ptr(), values.as_ptr(), keys.len(), &mut config),
            "configure the shared arena",
        )
        .and_then(|()| {
            check(
                (api.CreateAndRegisterAllocator)(env.ptr().cast_mut(), info, config),
                "register the shared arena",
            )
        });
        if !config.is_null() {
            (api.ReleaseArenaCfg)(config);
        }
        (api.ReleaseMemoryInfo)(info);
        result
    }
}

/// Threads each inference may use: `GLINT_THREADS`, else every core.
fn inference_threads() -> usize {
    std::env::var("GLINT_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Sessions per model: `GLINT_MODEL_SESSIONS`, else 2: one for the ingest worker and one for
/// searches. Each holds its own copy of the weights (a second session of every model: +67 MB
/// resident for `glint serve`, docs/benchmarks.md).
fn sessions_per_model() -> usize {
    std::env::var("GLINT_MODEL_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|n| (1..=16).contains(n))
        .unwrap_or(2)
}

/// One ONNX graph, loaded once and shared across threads.
pub struct OnnxModel {
    name: String,
    sessions: Pool<Session>,
    inputs: Vec<String>,
    outputs: Vec<String>,
}

impl std::fmt::Debug for OnnxModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnnxModel")
            .field("name", &self.name)
            .field("inputs", &self.inputs)
            .field("outputs", &self.outputs)
            .finish()
    }
}

impl OnnxModel {
    /// Loads `path` after checking it against `sha256` when one is given.
    pub fn load(
        env: &ort::environment::Environment,
        name: &str,
        path: &Path,
        sha256: Option<&str>,
    ) -> Result<Self, VisionError> {
        match sha256 {
            Some(expected) => verify_file(path, expected)?,
            None if !path.is_file() => {
                return Err(VisionError::ModelMissing {
                    path: path.to_path_buf(),
                })
            }
            None => {}
        }
        let open = || {
            Session::builder(env)
                .and_then(|b| Ok(b.with_optimization_level(GraphOptimizationLevel::Level3)?))
                // Each session may use every core: two runs at once share them (the OS divides
                // the threads), and a run alone, the usual case, keeps them all.
                .and_then(|b| Ok(b.with_intra_threads(inference_threads())?))
                // Spinning workers burn the cores that video decoding and the other sessions
                // need; measured no slower without it on 2 cores.
                .and_then(|b| Ok(b.with_intra_op_spinning(false)?))
                .and_then(|b| Ok(b.with_env_allocators()?))
                .and_then(|mut b| b.commit_from_file(path))
                .map_err(|e| VisionError::model(name, format!("cannot load {}: {e}", path.display())))
        };
        let sessions = (0..sessions_per_model())
            .map(|_| open())
            .collect::<Result<Vec<_>, _>>()?;
        let inputs = sessions[0].inputs().iter().map(|i| i.name().to_string()).collect();
        let outputs = sessions[0].outputs().iter().map(|o| o.name().to_string()).collect();
        Ok(Self {
            name: name.to_string(),
            sessions: Pool::new(sessions),
            inputs,
            outputs,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn input_names(&self) -> &[String] {
        &self.inputs
    }

    pub fn output_names(&self) -> &[String] {
        &self.outputs
    }

    /// Runs the graph on one named float input and returns the requested outputs, in order.
    pub fn run(
        &self,
        input_name: &str,
        input: ArrayViewD<'_, f32>,
        outputs: &[&str],
    ) -> Result<Vec<ArrayD<f32>>, VisionError> {
        let tensor = TensorRef::from_array_view(input).map_err(|e| VisionError::model(&self.name, e))?;
        self.run_inputs(vec![(input_name, tensor.into())], outputs)
    }

    /// Runs the graph on several named inputs of any element type (a text tower takes integer
    /// token ids and a mask) and returns the requested float outputs, in order.
    pub(crate) fn run_inputs(
        &self,
        inputs: Vec<(&str, SessionInputValue<'_>)>,
        outputs: &[&str],
    ) -> Result<Vec<ArrayD<f32>>, VisionError> {
        for wanted in outputs {
            if !self.outputs.iter().any(|o| o == wanted) {
                return Err(VisionError::model(
                    &self.name,
                    format!("has no output `{wanted}` (it has {:?})", self.outputs),
                ));
            }
        }
        let mut session = self.sessions.get();
        let result = session.run(inputs).map_err(|e| VisionError::model(&self.name, e))?;
        outputs
            .iter()
            .map(|name| {
                result[*name]
                    .try_extract_array::<f32>()
                    .map(|a| a.to_owned())
                    .map_err(|e| VisionError::model(&self.name, e))
            })
            .collect()
    }
}
