"""The shared core: rows, images, problems, the result store, atomic files, bundled data and error types.

Nothing here imports a model, a server client or a training framework.
"""
