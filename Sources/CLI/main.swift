import AngleVec
print("anglevec")
