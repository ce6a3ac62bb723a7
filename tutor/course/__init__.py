"""The course as data: lessons, labs, rubrics and the teacher contract, validated."""

from tutor.course.errors import CourseError, Problem

__all__ = ["CourseError", "Problem"]
