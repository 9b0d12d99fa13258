function applyFilter(){var on={};document.querySelectorAll('.filters input').forEach(function(c){on[c.value]=c.checked;});
document.querySelectorAll('#transcript tbody tr').forEach(function(r){var c=r.getAttribute('data-code'),
c2=r.getAttribute('data-code2');r.style.display=(!c||on[c]!==false||(c2&&on[c2]!==false))?'':'none';});markHeads();
// how many rows the filter leaves, said to screen readers (role=status) and shown beside the boxes
var rows=document.querySelectorAll('#transcript tbody tr'),n=0;rows.forEach(function(r){if(r.style.display!=='none'){n++;}});
var st=document.getElementById('filter-status');if(st){st.textContent=n+' of '+rows.length+' utterances shown';}}
// A turn whose first rows are filtered out shows its number and speaker on its first row still shown.
function markHeads(){var seen={};document.querySelectorAll('#transcript tbody tr').forEach(function(r){
var t=r.getAttribute('data-turn'),head=r.style.display!=='none'&&!seen[t];if(head){seen[t]=true;}
r.classList.toggle('show-head',head&&!r.classList.contains('turn-start'));});}
document.addEventListener('DOMContentLoaded',function(){document.querySelectorAll('.filters input').forEach(function(c){
c.addEventListener('change',applyFilter);});});
