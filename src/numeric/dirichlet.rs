//! Dirichlet draws, and the Gamma, Beta and exponential draws they are made
//! of, computed the same way on every computer.
//!
//! Chapter 7 draws class priors from a symmetric Dirichlet distribution
//! Dir(α). Unless every αᵢ is at most 0.1, a draw is k independent Gamma(αᵢ)
//! draws divided by their sum; with every αᵢ at most 0.1, most of those
//! Gamma draws would underflow to 0, so it breaks a stick instead: the
//! first share is a Beta(α₁, α₂ + … + αₖ) draw, the next a Beta draw
//! for what is left, and so on. The Gamma draws use the method of Marsaglia
//! and Tsang (2000, "A simple method for generating gamma variables", ACM
//! TOMS 26(3)), with an exponential draw for α = 1 and, below 1, a
//! Gamma(α + 1) draw times u^(1/α), as they suggest; the Beta draws use
//! Cheng's (1978, "Generating beta variates with nonintegral shape
//! parameters", CACM 21(4)) algorithms BB and BC.
//!
//! These are the methods of `rand_distr` 0.6, with which the book's figures
//! were first drawn, and they use the random stream the same way; the
//! elementary functions are those of [`super::math`] and the correctly
//! rounded logarithm of [`super::normal`], where `rand_distr` calls the C
//! library's. The tests require the same accept and reject decisions as
//! `rand_distr` makes on this computer (the random streams stay in step),
//! exponential draws equal to the last bit outside the tail, and Gamma,
//! Beta and Dirichlet draws within a relative 10⁻¹³ (10⁻¹¹ for Dirichlet
//! shares far below 1): their last bits follow the elementary functions,
//! which are not the C library's.
//!
//! ```
//! use stable_learning::numeric::dirichlet::Dirichlet;
//! use stable_learning::numeric::random::stream;
//! let mut rng = stream(42, "priors", 0);
//! for alpha in [0.05, 1.0, 10.0] {
//!     let q = Dirichlet::symmetric(alpha, 10).unwrap().sample(&mut rng);
//!     assert!((q.iter().sum::<f64>() - 1.0).abs() < 1e-12);
//!     assert!(q.iter().all(|&p| (0.0..=1.0).contains(&p)));
//! }
//! ```

use rand::distr::{Distribution, Open01};
use rand::{Rng, RngExt};

use super::math;
use super::normal::{LAYERS, StandardNormal, ln_rounded, ziggurat};

/// The exponential distribution with rate 1, by the ziggurat method.
#[derive(Clone, Copy, Debug)]
pub struct Exp1;

/// The layers under exp(−x) with R = 7.697117470131050 and area
/// V = 0.003949659822581557 (Marsaglia and Tsang 2000), computed like
/// [`super::normal`]'s, with xᵢ₊₁ = −ln(V/xᵢ + exp(−xᵢ)) in double precision
/// and exp and ln correctly rounded.
#[rustfmt::skip]
const EXP_X: [f64; LAYERS + 1] = [
    8.697117470131053, 7.69711747013105, 6.941033629377213, 6.47837849383257,
    6.144164665772473, 5.8821443157954, 5.666410167454034, 5.4828906275260625,
    5.323090505754398, 5.1814872813015, 5.054288489981304, 4.9387770859012505,
    4.832939741025112, 4.735242996601741, 4.644491885420085, 4.559737061707351,
    4.480211746528422, 4.405287693473573, 4.334443680317273, 4.267242480277366,
    4.203313713735184, 4.1423408656640515, 4.084051310408298, 4.028208544647937,
    3.974606066673789, 3.9230625001354897, 3.873417670399509, 3.8255294185223367,
    3.779270992411668, 3.7345288940397974, 3.691201090237419, 3.6491955157608538,
    3.6084288131289095, 3.568825265648337, 3.5303158891293434, 3.4928376547740596,
    3.45633282113276, 3.42074835725112, 3.386035442460301, 3.3521490309001094,
    3.319047470970748, 3.2866921715990687, 3.25504730857045, 3.224079565286264,
    3.1937579032122403, 3.164053358025973, 3.1349388580844404, 3.1063890623398245,
    3.0783802152540902, 3.050890016615455, 3.0238975044556766, 2.9973829495161306,
    2.9713277599210897, 2.9457143948950457, 2.920526286512741, 2.895747768600142,
    2.8713640120155364, 2.847360965635189, 2.8237253024500353, 2.800444370250738,
    2.7775061464397566, 2.7548991965623446, 2.7326126361947, 2.7106360958679288,
    2.6889596887418037, 2.6675739807732666, 2.646469963151809, 2.6256390267977885,
    2.6050729387408356, 2.5847638202141408, 2.5647041263169053, 2.54488662711187,
    2.525304390037828, 2.505950763528594, 2.4868193617402095, 2.467904050297365,
    2.4491989329782498, 2.4306983392644197, 2.4123968126888706, 2.394289099921458,
    2.3763701405361406, 2.3586350574093373, 2.3410791477030344, 2.3236978743901964,
    2.30648685828358, 2.2894418705322694, 2.272558825553155, 2.255833774367219,
    2.239262898312909, 2.222842503111037, 2.206569013257664, 2.19043896672322,
    2.1744490099377747, 2.158595893043886, 2.142876465399842, 2.1272876713173683,
    2.111826546019042, 2.096490211801715, 2.081275874393225, 2.0661808194905755,
    2.051202409468585, 2.0363380802487696, 2.021585338318926, 2.0069417578945186,
    1.9924049782135766, 1.9779727009573604, 1.9636426877895483, 1.949412758007185,
    1.9352807862970514, 1.921244700591528, 1.9073024800183875, 1.8934521529393082,
    1.8796917950722112, 1.866019527692828, 1.8524335159111756, 1.83893196701888,
    1.8255131289035198, 1.8121752885263906, 1.7989167704602909, 1.785735935484126,
    1.7726311792313056, 1.7596009308890748, 1.7466436519460744, 1.7337578349855716,
    1.7209420025219353, 1.7081947058780578, 1.695514524101538, 1.682900062917554,
    1.6703499537164521, 1.6578628525741728, 1.6454374393037237, 1.6330724165359913,
    1.620766508828258, 1.6085184617988584, 1.5963270412864834, 1.584191032532689,
    1.5721092393862297, 1.560080483527888, 1.5481036037145135, 1.536177455041032,
    1.5243009082192263, 1.512472848872117, 1.5006921768428167, 1.488957805516746,
    1.4772686611561339, 1.4656236822457454, 1.4540218188487934, 1.4424620319720125,
    1.4309432929388797, 1.4194645827699832, 1.4080248915695357, 1.3966232179170421,
    1.385258568263122, 1.3739299563284906, 1.3626364025050868, 1.3513769332583352,
    1.3401505805295046, 1.3289563811371166, 1.3177933761763247, 1.3066606104151741,
    1.295557131686601, 1.2844819902750126, 1.2734342382962411, 1.2624129290696153,
    1.2514171164808525, 1.2404458543344066, 1.229498195693849, 1.2185731922087901,
    1.2076698934267611, 1.196787346088403, 1.1859245934042022, 1.1750806743109117,
    1.164254622705679, 1.1534454666557747, 1.1426522275816728, 1.1318739194110785,
    1.1211095477013302, 1.110358108727411, 1.0996185885325973, 1.0888899619385468,
    1.0781711915113723, 1.0674612264799677, 1.0567590016025514, 1.0460634359770442,
    1.0353734317905285, 1.0246878730026172, 1.0140056239570965, 1.0033255279156967,
    0.9926464055072759, 0.9819670530850626, 0.9712862409839033, 0.9606027116686665,
    0.949915177764076, 0.9392223199552623, 0.9285227847472104, 0.9178151820700443,
    0.9070980827156903, 0.8963700155898899, 0.8856294647617515, 0.8748748662910251,
    0.8641046048110045, 0.8533170098423734, 0.8425103518103685, 0.8316828377342732,
    0.8208326065544118, 0.8099577240574183, 0.7990561773554872, 0.7881258688694924,
    0.7771646097591297, 0.7661701127354347, 0.7551399841819822, 0.7440717155005081,
    0.7329626735843654, 0.7218100903087562, 0.710611050909655, 0.699362481103232,
    0.6880611327737478, 0.6767035680295226, 0.6652861413926779, 0.653804979847665,
    0.6422559604245364, 0.6306346849334903, 0.6189364513948761, 0.6071562216203,
    0.5952885842915029, 0.5833277127487695, 0.5712673165325883, 0.5591005855115406,
    0.5468201251633106, 0.5344178812371656, 0.521885051592135, 0.5092119824436544,
    0.49638804551867116, 0.48340149165346186, 0.470239275082169, 0.45688684093142024,
    0.4433278660735524, 0.4295439402254107, 0.41551416960035636, 0.40121467889627777,
    0.3866179779411196, 0.37169214532991723, 0.3563997602583938, 0.3406964810648491,
    0.32452911701690945, 0.30783295467493216, 0.2905279554912304, 0.2725131854784647,
    0.253658363385912, 0.23379048305967473, 0.21267151063096662, 0.18995868962243184,
    0.16512762256418728, 0.1373049809400126, 0.10483850756581878, 0.06385216381500157,
    0.0,
];
/// exp(−xᵢ), correctly rounded.
#[rustfmt::skip]
const EXP_F: [f64; LAYERS + 1] = [
    0.00016706669230796337, 0.0004541343538414966, 0.0009672692823271743, 0.0015362997803015726,
    0.002145967743718907, 0.0027887987935740757, 0.003460264777836904, 0.004157295120833797,
    0.004877655983542396, 0.005619642207205489, 0.006381905937319183, 0.007163353183634991,
    0.007963077438017043, 0.008780314985808977, 0.009614413642502212, 0.01046481018102998,
    0.0113310135978346, 0.012212592426255378, 0.013109164931254991, 0.014020391403181943,
    0.014945968011691148, 0.015885621839973156, 0.01683910682603994, 0.017806200410911355,
    0.018786700744696024, 0.01978042433800974, 0.020787204072578114, 0.02180688750428358,
    0.02283933540638524, 0.023884420511558174, 0.024942026419731787, 0.02601204664513422,
    0.027094383780955803, 0.028188948763978646, 0.02929566022463741, 0.03041444391046662,
    0.03154523217289362, 0.032687963508959555, 0.03384258215087436, 0.03500903769739743,
    0.03618728478193144, 0.03737728277295938, 0.03857899550307487, 0.03979239102337414,
    0.04101744138041484, 0.042254122413316254, 0.0435024135688882, 0.04476229773294329,
    0.046033761076175184, 0.04731679291318156, 0.048611385573379504, 0.04991753428270638,
    0.05123523705512628, 0.052564494593071685, 0.05390531019604608, 0.05525768967669703,
    0.05662164128374287, 0.05799717563120066, 0.05938430563342028, 0.06078304644547966,
    0.062193415408541036, 0.06361543199980738, 0.0650491177867538, 0.06649449638533982,
    0.06795159342193664, 0.06942043649872878, 0.07090105516237184, 0.07239348087570875,
    0.07389774699236475, 0.07541388873405841, 0.07694194317048052, 0.07848194920160644,
    0.0800339475423199, 0.08159798070923742, 0.0831740930096324, 0.08476233053236815,
    0.08636274114075693, 0.08797537446727023, 0.08960028191003289, 0.0912375166310402,
    0.09288713355604357, 0.09454918937605587, 0.09622374255043283, 0.09791085331149221,
    0.09961058367063713, 0.10132299742595363, 0.1030481601712577, 0.10478613930657014,
    0.10653700405000163, 0.10830082545103376, 0.11007767640518536, 0.11186763167005628,
    0.11367076788274429, 0.1154871635786335, 0.11731689921155553, 0.11916005717532764,
    0.12101672182667479, 0.12288697950954511, 0.12477091858083093, 0.12666862943751067,
    0.1285802045452282, 0.13050573846833077, 0.1324453279013875, 0.1343990717022136,
    0.13636707092642883, 0.13834942886358018, 0.1403462510748624, 0.14235764543247215,
    0.14438372216063472, 0.1464245938783449, 0.14848037564386674, 0.15055118500103984,
    0.1526371420274428, 0.15473836938446803, 0.15685499236936515, 0.15898713896931413,
    0.16113493991759195, 0.16329852875190173, 0.16547804187493592, 0.16767361861725008,
    0.16988540130252755, 0.17211353531531998, 0.1743581691713534, 0.17661945459049483,
    0.17889754657247828, 0.18119260347549626, 0.18350478709776744, 0.18583426276219708,
    0.18818119940425426, 0.19054576966319536, 0.1929281499767713, 0.1953285206795632,
    0.19774706610509882, 0.2001839746919112, 0.20263943909370896, 0.20511365629383765,
    0.20760682772422198, 0.21011915938898823, 0.21265086199297822, 0.21520215107537863,
    0.21777324714870047, 0.22036437584335944, 0.2229757680581201, 0.22560766011668396,
    0.22826029393071662, 0.23093391716962736, 0.2336287834374333, 0.23634515245705956,
    0.2390832902624491, 0.24184346939887713, 0.24462596913189202, 0.24743107566532754,
    0.25025908236886224, 0.2531102900156294, 0.2559850070304153, 0.2588835497490162,
    0.2618062426893629, 0.26475341883506215, 0.26772541993204474, 0.27072259679905997,
    0.2737453096528029, 0.2767939284485173, 0.27986883323697287, 0.28297041453878075,
    0.2860990737370768, 0.2892552234896777, 0.29243928816189263, 0.29565170428126125,
    0.29889292101558185, 0.3021634006756935, 0.30546361924459026, 0.3087940669345602,
    0.3121552487741796, 0.31554768522712895, 0.31897191284495724, 0.3224284849560892,
    0.32591797239355635, 0.32944096426413644, 0.3329980687618091, 0.3365899140286777,
    0.3402171490667802, 0.3438804447045026, 0.34758049462163715, 0.35131801643748345,
    0.3550937528667876, 0.35890847294875, 0.362762973354818, 0.3666580797815144,
    0.3705946484351462, 0.3745735676159024, 0.37859575940958107, 0.38266218149601006,
    0.38677382908413793, 0.3909317369847974, 0.39513698183329043, 0.39939068447523135,
    0.40369401253053055, 0.4080481831520327, 0.41245446599716146, 0.4169141864330032,
    0.4214287289976169, 0.4259995411430347, 0.43062813728845917, 0.4353161032156369,
    0.4400651008423542, 0.44487687341454885, 0.44975325116275533, 0.45469615747461584,
    0.459707615642138, 0.4647897562504265, 0.4699448252839603, 0.4751751930373777,
    0.48048336393045454, 0.48587198734188525, 0.49134386959403287, 0.4969019872415499,
    0.5025495018413481, 0.5082897764106432, 0.5141263938147489, 0.5200631773682339,
    0.5261042139836201, 0.5322538802630437, 0.5385168720028622, 0.5448982376724401,
    0.5514034165406417, 0.5580382822625879, 0.5648091929124006, 0.5717230486648262,
    0.5787873586028454, 0.5860103184772684, 0.5934009016917338, 0.6009689663652326,
    0.6087253820796223, 0.6166821809152079, 0.6248527387036662, 0.6332519942143664,
    0.6418967164272664, 0.6508058334145714, 0.6600008410790001, 0.6695063167319252,
    0.6793505722647658, 0.6895664961170784, 0.7001926550827886, 0.7112747608050765,
    0.7228676595935725, 0.735038092431424, 0.7478686219851957, 0.7614633888498968,
    0.7759568520401162, 0.7915276369724963, 0.808421651523009, 0.8269932966430511,
    0.8477855006239905, 0.8717043323812047, 0.9004699299257477, 0.9381436808621765,
    1.0,
];

/// Where the exponential's tail begins.
const EXP_TAIL_START: f64 = 7.697_117_470_131_05;

impl Distribution<f64> for Exp1 {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        // The exponential has no memory: beyond R it is R plus another draw.
        ziggurat(
            rng,
            false,
            (&EXP_X, &EXP_F),
            |x| math::exp(-x),
            |rng, _| EXP_TAIL_START - ln_rounded(rng.random::<f64>()),
        )
    }
}

/// The Gamma distribution with shape α > 0 and scale 1.
#[derive(Clone, Copy, Debug)]
pub enum Gamma {
    /// α = 1: the exponential distribution.
    One,
    /// α < 1: a Gamma(α + 1) draw times u^(1/α).
    Small {
        /// 1/α.
        inv_shape: f64,
        /// The method for Gamma(α + 1).
        large: LargeShape,
    },
    /// α > 1: Marsaglia and Tsang's method.
    Large(LargeShape),
}

/// Marsaglia and Tsang's (2000) method for shape α ≥ 1: with d = α − ⅓ and
/// c = 1/√(9d), v = (1 + cx)³ for a normal x is accepted with a squeeze
/// and, failing it, the exact test ln u < x²/2 + d(1 − v + ln v); the draw
/// is d·v.
#[derive(Clone, Copy, Debug)]
pub struct LargeShape {
    c: f64,
    d: f64,
}

impl LargeShape {
    fn new(shape: f64) -> Self {
        let d = shape - 1.0 / 3.0;
        LargeShape {
            c: 1.0 / (9.0 * d).sqrt(),
            d,
        }
    }

    /// v, to be multiplied by d.
    fn sample_v<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        loop {
            let x: f64 = rng.sample(StandardNormal);
            let v_cbrt = 1.0 + self.c * x;
            if v_cbrt <= 0.0 {
                continue;
            }
            let v = v_cbrt * v_cbrt * v_cbrt;
            let u: f64 = rng.sample(Open01);
            let x2 = x * x;
            if u < 1.0 - 0.0331 * x2 * x2
                || ln_rounded(u) < 0.5 * x2 + self.d * (1.0 - v + ln_rounded(v))
            {
                return v;
            }
        }
    }
}

impl Gamma {
    /// Gamma(`shape`, 1); `None` unless the shape is positive and finite.
    pub fn new(shape: f64) -> Option<Self> {
        if !(shape > 0.0 && shape.is_finite()) {
            return None;
        }
        Some(if shape == 1.0 {
            Gamma::One
        } else if shape < 1.0 {
            Gamma::Small {
                inv_shape: 1.0 / shape,
                large: LargeShape::new(shape + 1.0),
            }
        } else {
            Gamma::Large(LargeShape::new(shape))
        })
    }
}

impl Distribution<f64> for Gamma {
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Gamma::One => rng.sample(Exp1),
            Gamma::Small { inv_shape, large } => {
                let u: f64 = rng.sample(Open01);
                let v = large.sample_v(rng);
                v * math::powf(u, *inv_shape) * large.d
            }
            Gamma::Large(large) => large.sample_v(rng) * large.d,
        }
    }
}

/// The Beta distribution Beta(a, b), by Cheng's (1978) algorithm BB when
/// both parameters exceed 1 and BC otherwise. Both draw w = a'·e^v with
/// v = β·ln(u₁/(1 − u₁)) and accept or reject it; the draw is w/(b' + w)
/// or b'/(b' + w), with a', b' the parameters in the order each algorithm
/// wants them.
#[derive(Clone, Copy, Debug)]
pub struct Beta {
    a: f64,
    b: f64,
    /// Whether the draw is b'/(b' + w) rather than w/(b' + w).
    switched: bool,
    algorithm: Cheng,
}

#[derive(Clone, Copy, Debug)]
enum Cheng {
    Bb {
        alpha: f64,
        beta: f64,
        gamma: f64,
    },
    Bc {
        alpha: f64,
        beta: f64,
        kappa1: f64,
        kappa2: f64,
    },
}

/// ln 4 and ln 5, correctly rounded.
const LN_4: f64 = 2.0 * std::f64::consts::LN_2;
const LN_5: f64 = 1.609_437_912_434_100_3;

impl Beta {
    /// Beta(`a`, `b`); `None` unless both are positive and finite.
    pub fn new(a: f64, b: f64) -> Option<Self> {
        if !(a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite()) {
            return None;
        }
        let (lo, hi, switched) = if a < b { (a, b, false) } else { (b, a, true) };
        if lo > 1.0 {
            // Algorithm BB: a' the smaller parameter.
            let alpha = lo + hi;
            let beta = ((alpha - 2.0) / (2.0 * lo * hi - alpha)).sqrt();
            Some(Beta {
                a: lo,
                b: hi,
                switched,
                algorithm: Cheng::Bb {
                    alpha,
                    beta,
                    gamma: lo + 1.0 / beta,
                },
            })
        } else {
            // Algorithm BC: a' the larger one.
            let (a, b, switched) = (hi, lo, !switched);
            let alpha = a + b;
            let beta = 1.0 / b;
            let delta = 1.0 + a - b;
            let kappa1 =
                delta * (1.0 / 18.0 / 4.0 + 3.0 / 18.0 / 4.0 * b) / (a * beta - 14.0 / 18.0);
            let kappa2 = 0.25 + (0.5 + 0.25 / delta) * b;
            Some(Beta {
                a,
                b,
                switched,
                algorithm: Cheng::Bc {
                    alpha,
                    beta,
                    kappa1,
                    kappa2,
                },
            })
        }
    }
}

impl Distribution<f64> for Beta {
    // The last test of each algorithm is "not less than", so that a NaN
    // (from an infinite w) accepts rather than loops.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let (a, b) = (self.a, self.b);
        let w = match self.algorithm {
            Cheng::Bb { alpha, beta, gamma } => loop {
                let u1: f64 = rng.sample(Open01);
                let u2: f64 = rng.sample(Open01);
                let v = beta * ln_rounded(u1 / (1.0 - u1));
                let w = a * math::exp(v);
                let z = u1 * u1 * u2;
                let r = gamma * v - LN_4;
                let s = a + r - w;
                if s + 1.0 + LN_5 >= 5.0 * z {
                    break w;
                }
                let t = ln_rounded(z);
                if s >= t {
                    break w;
                }
                if !(r + alpha * ln_rounded(alpha / (b + w)) < t) {
                    break w;
                }
            },
            Cheng::Bc {
                alpha,
                beta,
                kappa1,
                kappa2,
            } => loop {
                let u1: f64 = rng.sample(Open01);
                let u2: f64 = rng.sample(Open01);
                let z;
                if u1 < 0.5 {
                    let y = u1 * u2;
                    z = u1 * y;
                    if 0.25 * u2 + z - y >= kappa1 {
                        continue;
                    }
                } else {
                    z = u1 * u1 * u2;
                    if z <= 0.25 {
                        break a * math::exp(beta * ln_rounded(u1 / (1.0 - u1)));
                    }
                    if z >= kappa2 {
                        continue;
                    }
                }
                let v = beta * ln_rounded(u1 / (1.0 - u1));
                let w = a * math::exp(v);
                if !(alpha * (ln_rounded(alpha / (b + w)) + v) - LN_4 < ln_rounded(z)) {
                    break w;
                }
            },
        };
        if self.switched {
            b / (b + w)
        } else if w == f64::INFINITY {
            1.0
        } else {
            w / (b + w)
        }
    }
}

/// The Dirichlet distribution Dir(α) on k ≥ 2 classes.
#[derive(Clone, Debug)]
pub enum Dirichlet {
    /// k Gamma draws, divided by their sum.
    FromGamma(Vec<Gamma>),
    /// Stick-breaking with k − 1 Beta draws.
    FromBeta(Vec<Beta>),
}

impl Dirichlet {
    /// Dir(`alpha`); `None` unless there are at least two concentrations,
    /// each positive, finite and not subnormal.
    pub fn new(alpha: &[f64]) -> Option<Self> {
        let k = alpha.len();
        if k < 2 || !alpha.iter().all(|&a| a > 0.0 && a.is_normal()) {
            return None;
        }
        if alpha.iter().all(|&a| a <= 0.1) {
            // Stick i is Beta(αᵢ, αᵢ₊₁ + … + αₖ), the sums taken from the end.
            let mut rest = vec![alpha[k - 1]; k - 1];
            for i in (0..k - 2).rev() {
                rest[i] = rest[i + 1] + alpha[i + 1];
            }
            alpha[..k - 1]
                .iter()
                .zip(&rest)
                .map(|(&a, &b)| Beta::new(a, b))
                .collect::<Option<_>>()
                .map(Dirichlet::FromBeta)
        } else {
            alpha
                .iter()
                .map(|&a| Gamma::new(a))
                .collect::<Option<_>>()
                .map(Dirichlet::FromGamma)
        }
    }

    /// Dir(α, …, α) on `k` classes.
    pub fn symmetric(alpha: f64, k: usize) -> Option<Self> {
        Self::new(&vec![alpha; k])
    }

    /// One draw: k shares that sum to 1.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<f64> {
        match self {
            Dirichlet::FromGamma(gammas) => {
                let mut q: Vec<f64> = gammas.iter().map(|g| g.sample(rng)).collect();
                let sum = q.iter().fold(0.0, |s, &x| s + x);
                let inv = 1.0 / sum;
                q.iter_mut().for_each(|x| *x *= inv);
                q
            }
            Dirichlet::FromBeta(betas) => {
                let mut left = 1.0;
                let mut q: Vec<f64> = betas
                    .iter()
                    .map(|beta| {
                        let share = beta.sample(rng);
                        let q = left * share;
                        left *= 1.0 - share;
                        q
                    })
                    .collect();
                q.push(left);
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::random::stream;
    use rand::RngExt;

    /// Draws from ours and from `rand_distr`'s on two copies of one stream
    /// agree to within `tolerance` (relative), and leave both copies at the
    /// same place: every accept-or-reject decision was the same.
    fn same_draws<T: std::fmt::Debug, U: std::fmt::Debug>(
        what: &str,
        ours: impl Fn(&mut rand::rngs::StdRng) -> T,
        theirs: impl Fn(&mut rand::rngs::StdRng) -> U,
        compare: impl Fn(&T, &U) -> bool,
        n: usize,
    ) {
        for seed in [1, 42] {
            let mut a = stream(seed, what, 0);
            let mut b = stream(seed, what, 0);
            for i in 0..n {
                let (x, y) = (ours(&mut a), theirs(&mut b));
                assert!(
                    compare(&x, &y),
                    "{what}, seed {seed}, draw {i}: {x:?} {y:?}"
                );
            }
            assert_eq!(a.random::<u64>(), b.random::<u64>(), "{what}, seed {seed}");
        }
    }

    /// Equal to a relative `tolerance`; values that are both below 10⁻³⁰⁰
    /// count as equal (a Gamma(10⁻³) draw is subnormal about once in 50, and
    /// another system's `pow` may round a subnormal differently).
    fn close(x: f64, y: f64, tolerance: f64) -> bool {
        x == y
            || (x.abs() < 1e-300 && y.abs() < 1e-300)
            || (x - y).abs() <= tolerance * x.abs().max(y.abs())
    }

    #[test]
    #[allow(clippy::disallowed_types)]
    fn the_same_draws_as_rand_distr() {
        use rand_distr::Distribution as _;
        same_draws(
            "exp1",
            |r| r.sample(Exp1),
            |r| rand_distr::Exp1.sample(r),
            // Equal but in the tail, where the C library's ln may round
            // the other way (see `normal`'s test of the same name).
            |&x: &f64, &y: &f64| {
                if x < EXP_TAIL_START {
                    x == y
                } else {
                    close(x, y, 1e-15)
                }
            },
            300_000,
        );
        for shape in [1e-3, 0.1, 0.5, 1.0, 2.5, 10.0, 1e6] {
            let ours = Gamma::new(shape).unwrap();
            let theirs = rand_distr::Gamma::new(shape, 1.0).unwrap();
            same_draws(
                &format!("gamma {shape}"),
                |r| ours.sample(r),
                |r| theirs.sample(r),
                |&x: &f64, &y: &f64| close(x, y, 1e-13),
                50_000,
            );
        }
        for (a, b) in [
            (0.1, 0.9),
            (0.05, 0.05),
            (0.5, 3.0),
            (2.0, 0.7),
            (2.0, 5.0),
            (30.0, 4.0),
        ] {
            let ours = Beta::new(a, b).unwrap();
            let theirs = rand_distr::Beta::new(a, b).unwrap();
            same_draws(
                &format!("beta {a} {b}"),
                |r| ours.sample(r),
                |r| theirs.sample(r),
                |&x: &f64, &y: &f64| close(x, y, 1e-13),
                50_000,
            );
        }
        for alpha in [1e-3, 0.05, 0.1, 0.100_000_1, 1.0, 10.0, 1e6] {
            let ours = Dirichlet::symmetric(alpha, 10).unwrap();
            let theirs = rand_distr::multi::Dirichlet::new(&[alpha; 10]).unwrap();
            same_draws(
                &format!("dirichlet {alpha}"),
                |r| ours.sample(r),
                |r| theirs.sample(r),
                // Shares far below 1 come from exp(v) with v in the
                // hundreds, which turns the last place of v into 10⁻¹³ of
                // the share.
                |x: &Vec<f64>, y: &Vec<f64>| x.iter().zip(y).all(|(&x, &y)| close(x, y, 1e-11)),
                5_000,
            );
        }
    }

    /// The means come out right: α for Gamma(α), a/(a + b) for Beta(a, b).
    #[test]
    fn the_draws_have_the_right_means() {
        let mut rng = stream(7, "means", 0);
        let n = 100_000;
        for shape in [0.3, 1.0, 4.0] {
            let g = Gamma::new(shape).unwrap();
            let mean = (0..n).map(|_| g.sample(&mut rng)).sum::<f64>() / n as f64;
            assert!(
                (mean - shape).abs() < 0.02 * shape.max(1.0),
                "gamma {shape}: {mean}"
            );
        }
        for (a, b) in [(0.1, 0.9), (2.0, 5.0), (0.5, 0.5)] {
            let beta = Beta::new(a, b).unwrap();
            let mean = (0..n).map(|_| beta.sample(&mut rng)).sum::<f64>() / n as f64;
            assert!((mean - a / (a + b)).abs() < 0.01, "beta {a} {b}: {mean}");
        }
        assert!(Dirichlet::symmetric(1.0, 1).is_none());
        assert!(Dirichlet::new(&[1.0, f64::MIN_POSITIVE / 2.0]).is_none());
        assert!(Gamma::new(0.0).is_none() && Beta::new(1.0, -1.0).is_none());
    }

    /// The bits are those recorded on x86-64 (the cross-processor check in
    /// `.ci/run` runs this on a processor without FMA).
    #[test]
    fn same_bits_as_recorded() {
        let mut rng = stream(42, "dirichlet", 0);
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for alpha in [1e-3, 0.1, 0.5, 1.0, 10.0] {
            let d = Dirichlet::symmetric(alpha, 10).unwrap();
            for _ in 0..500 {
                for q in d.sample(&mut rng) {
                    for b in q.to_bits().to_le_bytes() {
                        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
                    }
                }
            }
        }
        assert_eq!(h, 0x71a2_b309_5f6c_0b4c, "fingerprint {h:#018x}");
    }
}
