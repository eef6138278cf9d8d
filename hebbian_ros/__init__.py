"""hebbian_ros: gradient-free Hebbian learning for ROS 2 robots.

Installed over the empty ``__init__.py`` that rosidl generates for ``hebbian_ros.msg``, so it must
import nothing heavy. ``extend_path`` lets a source checkout that is first on ``sys.path`` still
find the generated ``msg`` subpackage in the installed copy of the same package.
"""

from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
