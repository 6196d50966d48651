# Writes a C++ header holding one text file as a raw string literal, so the
# HTML report's JS and CSS stay real .js and .css files in the source tree.
# Usage: cmake -DINPUT=file -DOUTPUT=header.h -DNAME=kName -P embed_text.cmake
file(READ "${INPUT}" content)
string(FIND "${content}" ")memstats_embed" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} contains the raw string delimiter )memstats_embed")
endif()
get_filename_component(name "${INPUT}" NAME)
file(WRITE "${OUTPUT}"
  "// Generated from ${name} by embed_text.cmake; do not edit.\n"
  "#pragma once\n"
  "inline constexpr char ${NAME}[] = R\"memstats_embed(${content})memstats_embed\";\n")
