"""The protocols the core needs from hardware and storage outside it: a barcode decoder, a
scanner that is not a keyboard, the photo store and the layout of its files. drivers/
implements them; the core and its tests use the in-memory fakes defined here.
"""
