# A Maven POM for a package of the Kotlin bindings, shared by
# scripts/package-jvm.sh and scripts/package-android.sh (sourced):
#   write_pom FILE ARTIFACT PACKAGING VERSION DEPENDENCY_XML...
# Each DEPENDENCY_XML is "GROUP:ARTIFACT:VERSION[:TYPE]".

# The oldest Kotlin the bindings' classes are for: language and API 2.0,
# whose metadata (2.0.0) Kotlin 1.9 and later compilers read (a compiler
# reads metadata one version ahead; kotlinc 2.4 writes 2.4.0 by default,
# which apps on Kotlin 2.2 and older cannot compile against). The POM asks
# for that version's standard library, so an app's build is not pushed to
# a newer one.
kotlin_api=2.0
kotlin_flags=(-language-version "$kotlin_api" -api-version "$kotlin_api" -Xsuppress-version-warnings)
kotlin_stdlib="org.jetbrains.kotlin:kotlin-stdlib:$kotlin_api.0"

write_pom() {
  local file=$1 artifact=$2 packaging=$3 version=$4
  shift 4
  {
    cat <<POM
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>im.xmpptls</groupId>
  <artifactId>$artifact</artifactId>
  <version>$version</version>
  <packaging>$packaging</packaging>
  <name>xmpptls</name>
  <description>TLS in XMPP, safe and visible: XTLS tunnels and TLS policy checks (libxmpptls)</description>
  <licenses>
    <license><name>MIT OR Apache-2.0</name></license>
  </licenses>
  <dependencies>
POM
    local dep g a v t
    for dep in "$@"; do
      IFS=: read -r g a v t <<< "$dep"
      printf '    <dependency>\n      <groupId>%s</groupId>\n      <artifactId>%s</artifactId>\n      <version>%s</version>\n' "$g" "$a" "$v"
      [ -n "$t" ] && printf '      <type>%s</type>\n' "$t"
      printf '    </dependency>\n'
    done
    printf '  </dependencies>\n</project>\n'
  } > "$file"
}
