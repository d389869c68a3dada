"""Scan sources that are not a keyboard wedge: serial and USB virtual-COM scanners through
pyserial (`serial_scanner`), a webcam whose frames are decoded in the background
(`camera_scanner`), and the background thread both run on (`threaded_source`).
"""
