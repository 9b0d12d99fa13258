"""The coder model: features, linear models, the coder itself, model folders (store) and model cards."""
