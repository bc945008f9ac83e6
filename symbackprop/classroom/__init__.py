"""Class assignments: a variant of the worksheet per student, grading with feedback, platforms.

``write_assignment`` makes the folder a teacher hands out from (one variant
per roster id, answers templates, the teacher's key); ``grade`` reads the
students' answers and writes grades.csv, a feedback file per student and an
overview of the class.  See docs/assignments.md.
"""
