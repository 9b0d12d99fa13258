function applyFilter(){var on={};document.querySelectorAll('.filters input').forEach(function(c){on[c.value]=c.checked;});
document.querySelectorAll('#transcript tbody tr').forEach(function(r){var c=r.getAttribute('data-code');
r.style.display=(!c||on[c]!==false)?'':'none';});}
document.addEventListener('DOMContentLoaded',function(){document.querySelectorAll('.filters input').forEach(function(c){
c.addEventListener('change',applyFilter);});});
