"""Barcodes from images: the `BarcodeDecoder` the app uses (`decode_pipeline`: zxing-cpp
first, then aimed extra effort), its two engines (`zxing_decoder`, `zbar_decoder`) and
their shared error (`decoder_errors`), what an engine saw before it becomes a
`DecodedCode` (`reads`), the checks that keep wrong reads out (`read_checks`), where in a
frame a code could be (`barcode_regions`), the OpenCV operations they share (`image_ops`),
and decoding photo and video files for `returns-station decode` (`image_files`).
"""
