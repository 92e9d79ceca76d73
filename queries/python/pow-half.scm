; py/pow-half: raising to 0.5. The rule checks the exponent's value (0.5, .5, 5e-1 …) and the
; base (not a complex literal, not a splat), and that `pow` is the builtin.

; x ** 0.5
(binary_operator
  left: (_) @base
  operator: "**"
  right: (float) @exponent) @pow

; x **= 0.5
(augmented_assignment
  left: (_) @base @target
  operator: "**="
  right: (float) @exponent) @pow

; pow(x, 0.5)
((call
   function: (identifier) @function
   arguments: (argument_list . (_) @base . (float) @exponent .)) @pow
 (#eq? @function "pow"))
