# The fuzz targets live in tests/fuzz/ with their corpus; their cmake is there too.
include(${CMAKE_CURRENT_LIST_DIR}/../fuzz/fuzz.cmake)
