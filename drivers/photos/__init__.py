"""The photo store on disk (`photo_store.FilePhotoStore`, the core's `PhotoStore`): clean
JPEGs named by their SHA-256 with thumbnails for the UI, in the layout station.ports.
photo_files defines.
"""
