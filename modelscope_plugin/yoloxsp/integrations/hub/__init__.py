"""The model on the hubs: the model card with measured metrics (``card``), the upload folder and its
checks (``assemble``), and the upload to ModelScope or Hugging Face (``upload``)."""
