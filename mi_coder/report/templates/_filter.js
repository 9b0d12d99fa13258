function applyFilter(){var on={};document.querySelectorAll('.filters input').forEach(function(c){on[c.value]=c.checked;});
document.querySelectorAll('#transcript tbody tr').forEach(function(r){var c=r.getAttribute('data-code'),
c2=r.getAttribute('data-code2');r.style.display=(!c||on[c]!==false||(c2&&on[c2]!==false))?'':'none';});}
document.addEventListener('DOMContentLoaded',function(){document.querySelectorAll('.filters input').forEach(function(c){
c.addEventListener('change',applyFilter);});});
