// TEMPORARY until the grading core lands.
export const START_TEST_OUTPUT = '>>>>> Start Test Output';
export const END_TEST_OUTPUT = '>>>>> End Test Output';
export const TEST_EXIT_CODE = '>>>>> Test Exit Code';
