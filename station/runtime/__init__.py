"""What every use case starts from: opening a station (`bootstrap`: data folder, databases
at the right schema, signing key, PIN pepper), the `StationContext` it hands to every use
case, and the permission check each use case begins with (`authorization`).
"""
